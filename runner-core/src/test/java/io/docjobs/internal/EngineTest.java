package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.Backoff;
import io.docjobs.HandlerOptions;
import io.docjobs.JobEntry;
import io.docjobs.JobHandler;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import io.docjobs.Lease;
import io.docjobs.ManualQueues;
import io.docjobs.QueueStats;
import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The engine stepped by hand: one poll round or one heartbeat at a time, time from a manual
 * ticker and a manual database clock, handlers run when the test says so. No real waiting.
 */
@Timeout(30)
class EngineTest {
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private final ManualTicker ticker = new ManualTicker();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    private final ManualExecutor executor = new ManualExecutor();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Engine> engines = new ArrayList<>();
    private FaultyQueue queue;

    @BeforeEach
    void openQueue() {
        queue = new FaultyQueue(queues.open(clock));
    }

    @AfterEach
    void stopEngines() {
        engines.forEach(Engine::stop);
    }

    private Engine engine(int workers, Executor pool, Registration... registrations) {
        return engine(workers, 32, pool, registrations);
    }

    private Engine engine(int workers, int maxBatch, Executor pool, Registration... registrations) {
        return engine(workers, maxBatch, 0, pool, registrations);
    }

    private Engine engine(int workers, int maxBatch, int prefetch, Executor pool, Registration... registrations) {
        Engine.Settings settings = new Engine.Settings("test", "worker-1", workers, 1, maxBatch, prefetch, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, registry, io.micrometer.observation.ObservationRegistry.NOOP);
        // Fixed: these tests study what jobs claimed ahead do; ClaimDepthTest and the tests below how deep it goes.
        Engine engine = new Engine(queue, List.of(registrations), settings, ticker, pool, ClaimDepth.fixed(prefetch));
        engine.startStepping();
        engines.add(engine);
        return engine;
    }

    private static Registration handle(String type, JobHandler handler) {
        return new Registration(type, handler, HandlerOptions.DEFAULTS);
    }

    private static Registration handle(String type, JobHandler handler, HandlerOptions options) {
        return new Registration(type, handler, options);
    }

    private String enqueue(String type, int priority) {
        return queue.enqueue(JobRequest.builder(type).payload("x").priority(priority).build()).id();
    }

    private JobEntry entry(String id) {
        return queue.get(id).orElseThrow();
    }

    private double finished(String type, String outcome) {
        var counter = registry.find("docjobs.jobs.finished").tag("type", type).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    private static long millis(long ms) {
        return Duration.ofMillis(ms).toNanos();
    }

    // ------------------------------------------------------------------ capacity

    @Test
    void workersBoundTheJobsStartedAtOnce() {
        List<String> ran = new CopyOnWriteArrayList<>();
        Engine engine = engine(4, executor, handle("email", job -> ran.add(job.id())));
        for (int i = 0; i < 10; i++) {
            enqueue("email", 0);
        }

        Poller.Poll first = engine.pollOnce();

        assertThat(first.claimed()).isEqualTo(4);
        assertThat(executor.pending()).isEqualTo(4);
        assertThat(engine.pollOnce().noRoom()).as("every slot is taken: no claim at all").isTrue();
        assertThat(queue.claimCalls).hasValue(1);
        assertThat(engine.inFlight()).isEqualTo(4);

        executor.runAll();
        assertThat(ran).hasSize(4);
        assertThat(engine.inFlight()).isZero();
        assertThat(engine.pollOnce().claimed()).as("finished jobs gave their slots back").isEqualTo(4);
    }

    @Test
    void aTypeAtItsLimitIsNotClaimedWhileOthersUseTheFreeSlots() {
        Engine engine = engine(16, executor,
                handle("limited", job -> { }, HandlerOptions.builder().concurrency(2).build()),
                handle("other", job -> { }));
        for (int i = 0; i < 5; i++) {
            enqueue("limited", 0);
        }

        assertThat(engine.pollOnce().claimed()).isEqualTo(2);
        assertThat(engine.pollOnce().claimed()).as("the only type with work is at its limit").isZero();
        assertThat(executor.pending()).as("never more than the limit").isEqualTo(2);
        enqueue("other", 0);
        assertThat(engine.pollOnce().claimed()).isEqualTo(1);
        assertThat(executor.pending()).isEqualTo(3);
    }

    /** Defect class: a slot handed back twice (or not taken) per job lets each round run one job more. */
    @Test
    void workersBoundTheJobsRunningAtOnceRoundAfterRound() {
        Engine engine = engine(3, executor, handle("email", job -> { }));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(enqueue("email", 0));
        }
        assertThat(engine.pollOnce().claimed()).isEqualTo(3);

        for (int round = 1; round <= 9; round++) {
            queue.claimLog.clear();
            assertThat(executor.runOne()).isTrue(); // one job finishes
            assertThat(engine.inFlight()).isEqualTo(2);

            assertThat(engine.pollOnce().claimed()).as("round %d: the one freed slot", round).isEqualTo(1);
            assertThat(engine.pollOnce().noRoom()).as("round %d: full again", round).isTrue();
            assertThat(engine.inFlight()).isEqualTo(3);
            assertThat(queue.stats().forType("email").leased()).as("round %d: leases held", round).isEqualTo(3);
            assertThat(queue.claimLog).as("one slot: a single claim").containsExactly("claim");
        }
        executor.runAll();
        assertThat(ids).allSatisfy(id -> assertThat(queue.get(id)).isEmpty());
        assertThat(engine.inFlight()).isZero();
    }

    @Test
    void aTypeLimitHoldsRoundAfterRoundAsJobsFinish() {
        Engine engine = engine(4, executor,
                handle("limited", job -> { }, HandlerOptions.builder().concurrency(2).build()),
                handle("other", job -> { }));
        for (int i = 0; i < 8; i++) {
            enqueue("limited", 1); // more urgent: claimed whenever its limit allows
            enqueue("other", 0);
        }
        assertThat(engine.pollOnce().claimed()).isEqualTo(4);

        for (int round = 1; round <= 12 && executor.runOne(); round++) {
            engine.pollOnce();
            QueueStats.TypeStats limited = queue.stats().forType("limited");
            assertThat(limited.leased()).as("round %d: limited jobs at once", round).isLessThanOrEqualTo(2);
            assertThat(limited.leased() + queue.stats().forType("other").leased()).as("round %d: all jobs at once", round)
                    .isLessThanOrEqualTo(4);
            assertThat(engine.inFlight()).isLessThanOrEqualTo(4);
        }
        executor.runAll();
        while (engine.pollOnce().claimed() > 0) {
            assertThat(queue.stats().forType("limited").leased()).isLessThanOrEqualTo(2);
            executor.runAll();
        }
        assertThat(queue.stats().byType()).as("everything ran").isEmpty();
    }

    @Test
    void aPollClaimsItsFreeSlotsUpToMaxBatchInOneBatchCall() {
        Engine engine = engine(8, 5, executor, handle("email", job -> { }));
        for (int i = 0; i < 9; i++) {
            enqueue("email", 0);
        }

        assertThat(engine.pollOnce().claimed()).as("min(maxBatch 5, 8 free, 9 ready)").isEqualTo(5);
        assertThat(engine.pollOnce().claimed()).as("min(maxBatch 5, 3 free, 4 ready)").isEqualTo(3);
        assertThat(engine.pollOnce().noRoom()).isTrue();
        for (int i = 0; i < 7; i++) {
            executor.runOne();
        }
        Poller.Poll last = engine.pollOnce();

        assertThat(last.reserved()).as("min(maxBatch 5, 7 free)").isEqualTo(5);
        assertThat(last.claimed()).as("only one left").isEqualTo(1);
        assertThat(queue.claimLog).containsExactly("claimBatch 5", "claimBatch 3", "claimBatch 5");
        assertThat(engine.inFlight()).isEqualTo(2);
    }

    /** Defect: a type limited to fewer than the free slots got nothing while unlimited types filled the batch. */
    @Test
    void priorityHoldsAcrossTypesWhenOneHasALimit() {
        List<String> types = new CopyOnWriteArrayList<>();
        Engine engine = engine(4, executor,
                handle("urgent", job -> types.add(job.type()), HandlerOptions.builder().concurrency(1).build()),
                handle("bulk", job -> types.add(job.type())));
        for (int i = 0; i < 6; i++) {
            enqueue("bulk", 0);
        }
        enqueue("urgent", 10);
        enqueue("urgent", 10);

        engine.pollOnce();
        executor.runAll();

        assertThat(types).hasSize(4);
        assertThat(types).as("the most urgent entry, up to its type's limit of one").containsOnlyOnce("urgent");
    }

    /**
     * Defect: when one poll round made two claim calls and the second failed, the first call's
     * leases were neither started nor given back and their slots were gone for good.
     */
    @Test
    void claimFailuresNeverCostCapacityOrLeases() {
        AtomicInteger running = new AtomicInteger();
        JobHandler handler = job -> running.incrementAndGet();
        Engine engine = engine(4, executor,
                handle("limited", handler, HandlerOptions.builder().concurrency(2).build()),
                handle("other", handler));
        queue.failClaims = call -> call % 2 == 0; // every other claim fails, as during a fail-over
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            ids.add(enqueue(i % 2 == 0 ? "limited" : "other", 0));
        }

        for (int round = 0; round < 40 && ids.stream().anyMatch(id -> queue.get(id).isPresent()); round++) {
            engine.pollOnce();
            running.set(0);
            executor.runAll();
        }

        assertThat(ids).as("every job ran and completed; none stranded under a dropped lease")
                .allSatisfy(id -> assertThat(queue.get(id)).isEmpty());
        assertThat(engine.inFlight()).isZero();

        // And the full capacity is still there: four at once, two of the limited type.
        queue.failClaims = call -> false;
        for (int i = 0; i < 4; i++) {
            enqueue("limited", 0);
            enqueue("other", 0);
        }
        Poller.Poll poll = engine.pollOnce();
        assertThat(poll.started()).isEqualTo(4);
        assertThat(executor.pending()).isEqualTo(4);
    }

    @Test
    void aSupervisorWhoseClaimsKeepFailingIsUnhealthyUntilOneWorks() {
        Engine engine = engine(4, executor, handle("email", job -> { }));
        queue.failClaims = call -> true;

        engine.pollOnce();
        engine.pollOnce();
        assertThat(engine.pollsSucceeding()).as("two failures may be a blip").isTrue();
        engine.pollOnce();
        assertThat(engine.pollsSucceeding()).isFalse();

        queue.failClaims = call -> false;
        engine.pollOnce();
        assertThat(engine.pollsSucceeding()).isTrue();
    }

    // ------------------------------------------------------------------ waiting between rounds

    @Test
    void aPollerWaitsOnlyForWhatCouldChangeItsNextRound() {
        Engine engine = engine(4, executor, handle("email", job -> { }));
        long idleMax = Duration.ofMillis(100).toNanos();

        Poller.Pause noRoom = engine.pauseAfter(Poller.Poll.NO_ROOM, 3);
        assertThat(noRoom).isEqualTo(new Poller.Pause(idleMax, false, true, 3));

        Poller.Pause full = engine.pauseAfter(new Poller.Poll(4, 4, 4, false, false), 7);
        assertThat(full).as("a full round polls again at once").isEqualTo(new Poller.Pause(0, false, false, 0));

        Poller.Pause drained = engine.pauseAfter(new Poller.Poll(4, 1, 1, false, false), 7);
        assertThat(drained.onWork()).isTrue();
        assertThat(drained.onCapacity()).as("a freed slot cannot help a drained queue").isFalse();
        assertThat(drained.idleRounds()).as("it claimed something: back-off starts over").isZero();

        Poller.Pause heldBack = engine.pauseAfter(new Poller.Poll(4, 1, 1, false, true), 0);
        assertThat(heldBack.onWork()).isTrue();
        assertThat(heldBack.onCapacity()).as("a type limit held it back: a freed slot may help").isTrue();

        Poller.Pause empty = engine.pauseAfter(new Poller.Poll(4, 0, 0, false, false), 2);
        assertThat(empty.idleRounds()).isEqualTo(3);
        assertThat(empty.nanos()).isBetween(Duration.ofMillis(40).toNanos(), Duration.ofMillis(80).toNanos());
    }

    /** Review finding: leases that could not start were claimed straight back, round after round. */
    @Test
    void aFailedOrUnstartableRoundBacksOffOnTheTimerAlone() {
        Engine engine = engine(4, executor, handle("email", job -> { }));

        for (Poller.Poll poll : List.of(new Poller.Poll(4, 0, 0, true, false), new Poller.Poll(4, 2, 0, false, false))) {
            Poller.Pause pause = engine.pauseAfter(poll, 0);
            assertThat(pause.onWork()).isFalse();
            assertThat(pause.onCapacity()).isFalse();
            assertThat(pause.nanos()).isGreaterThanOrEqualTo(Duration.ofMillis(500).toNanos());
            assertThat(pause.idleRounds()).isEqualTo(1);
        }
        assertThat(engine.pauseAfter(new Poller.Poll(4, 0, 0, true, false), 30).idleRounds()).as("capped").isEqualTo(30);
    }

    @Test
    void theIdleBackOffDoublesWithJitterUpToItsCap() {
        Engine engine = engine(4, executor, handle("email", job -> { }));
        long min = Duration.ofMillis(10).toNanos();
        long max = Duration.ofMillis(100).toNanos();

        for (int round = 0; round < 40; round++) {
            long full = Math.min(max, min << Math.min(round, 20));
            assertThat(engine.idleDelayNanos(round)).as("round %d", round).isBetween(full / 2, full);
        }
        assertThat(engine.idleDelayNanos(Integer.MAX_VALUE)).isBetween(max / 2, max);
        assertThat(Nanos.of(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void loopsAreAliveOnlyWhileTheirThreadsRun() {
        Engine.Settings settings = new Engine.Settings("live", "worker-1", 2, 2, 32, 0, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, new SimpleMeterRegistry(),
                io.micrometer.observation.ObservationRegistry.NOOP);
        Engine engine = new Engine(queue, List.of(handle("email", job -> { })), settings, ticker, executor);
        assertThat(engine.loopsAlive(Duration.ofMinutes(1))).as("not started").isFalse();

        engine.start();
        assertThat(engine.loopsAlive(Duration.ofMinutes(1))).isTrue();

        engine.stop();
        assertThat(engine.loopsAlive(Duration.ofMinutes(1))).as("stopped").isFalse();
    }

    // ------------------------------------------------------------------ starting

    /** Defect: a job whose worker could not start stayed registered, and its lease was extended forever. */
    @Test
    void aJobWithNoThreadToRunItIsHandedBackUncountedAndNotKept() {
        Executor noThreads = command -> {
            throw new RejectedExecutionException("unable to create native thread");
        };
        AtomicInteger ran = new AtomicInteger();
        Engine engine = engine(2, noThreads, handle("email", job -> ran.incrementAndGet()));
        String id = enqueue("email", 0);

        Poller.Poll poll = engine.pollOnce();

        assertThat(poll.claimed()).isEqualTo(1);
        assertThat(poll.started()).isZero();
        assertThat(engine.inFlight()).as("not registered: the keeper must not extend it").isZero();
        assertThat(entry(id).state()).isEqualTo(JobState.READY);
        assertThat(entry(id).attempts()).as("it never ran").isZero();
        assertThat(entry(id).visibleAt()).as("claimable at once").isEqualTo(clock.instant());

        ticker.advance(Duration.ofMinutes(5));
        clock.advance(Duration.ofMinutes(5));
        engine.keepOnce();
        assertThat(entry(id).state()).isEqualTo(JobState.READY);
        assertThat(ran).hasValue(0);
    }

    /** Defect: a job that timed out while waiting for a thread still ran its handler, outside slot accounting. */
    @Test
    void aJobThatEndedBeforeItsThreadCameDoesNotRun() {
        AtomicInteger ran = new AtomicInteger();
        Engine engine = engine(2, executor, handle("email", job -> ran.incrementAndGet(),
                HandlerOptions.builder().timeout(Duration.ofSeconds(10)).build()));
        String id = enqueue("email", 0);
        engine.pollOnce();

        ticker.advance(Duration.ofSeconds(11));
        engine.keepOnce();
        executor.runAll();

        assertThat(ran).as("its slot was already given back").hasValue(0);
        assertThat(entry(id).state()).isEqualTo(JobState.READY);
        assertThat(entry(id).lastError().message()).contains("time-out");
        assertThat(engine.inFlight()).isZero();
    }

    // ------------------------------------------------------------------ claim-ahead

    /** An engine whose claim-ahead is measured, as a supervisor's is; each claim takes {@code claimTime}. */
    private Engine measuredEngine(int workers, int prefetch, Duration claimTime, Registration registration) {
        queue.duringClaim = () -> ticker.advance(claimTime);
        Engine.Settings settings = new Engine.Settings("test", "worker-1", workers, 1, 32, prefetch, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, registry, io.micrometer.observation.ObservationRegistry.NOOP);
        Engine engine = new Engine(queue, List.of(registration), settings, ticker, executor);
        engine.startStepping();
        engines.add(engine);
        return engine;
    }

    /** Claim rounds, each followed by running every handler there is; the size asked for by each claim. */
    private List<Integer> rounds(Engine engine, int rounds) {
        for (int i = 0; i < rounds; i++) {
            engine.pollOnce();
            executor.runAll();
        }
        return queue.claimLog.stream().map(call -> call.equals("claim") ? 1 : Integer.parseInt(call.substring(11))).toList();
    }

    @Test
    void jobsShortNextToAClaimAreClaimedAheadOnceTheRateIsKnownAndAtMostThePrefetch() {
        Engine engine = measuredEngine(2, 6, Duration.ofMillis(10),
                handle("email", job -> ticker.advance(Duration.ofMillis(1))));
        for (int i = 0; i < 60; i++) {
            enqueue("email", 0);
        }

        List<Integer> asked = rounds(engine, 8);

        assertThat(asked.get(0)).as("nothing ahead before a rate is measured").isEqualTo(2);
        assertThat(asked.get(1)).as("the first claim's jobs finished meanwhile: ahead from the second on")
                .isGreaterThan(2);
        assertThat(engine.inFlight()).as("never more than workers plus prefetch").isLessThanOrEqualTo(8);
        assertThat(asked).allMatch(n -> n <= 8);
    }

    @Test
    void jobsLongNextToAClaimAreNeverClaimedAheadSoNoneWaitsHereWhileAnotherSupervisorIdles() {
        Engine engine = measuredEngine(2, 64, Duration.ofMillis(10),
                handle("email", job -> ticker.advance(Duration.ofSeconds(5))));
        for (int i = 0; i < 40; i++) {
            enqueue("email", 0);
        }

        List<Integer> asked = rounds(engine, 8);

        assertThat(asked).hasSize(8).containsOnly(2);
    }

    @Test
    void jobsClaimedAheadWaitForAHandlerSlotSoWorkersStillBoundTheHandlersRunning() {
        List<String> ran = new CopyOnWriteArrayList<>();
        Engine engine = engine(2, 32, 3, executor, handle("email", job -> ran.add(job.id())));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            ids.add(enqueue("email", 8 - i));
        }

        Poller.Poll poll = engine.pollOnce();

        assertThat(poll.claimed()).as("the workers plus the prefetch, in one claim").isEqualTo(5);
        assertThat(queue.claimLog).containsExactly("claimBatch 5");
        assertThat(executor.pending()).as("only as many handlers as workers").isEqualTo(2);
        assertThat(engine.inFlight()).isEqualTo(5);
        assertThat(engine.pollOnce().noRoom()).isTrue();

        assertThat(executor.runOne()).isTrue();
        assertThat(executor.pending()).as("the finished handler's slot went to the first job waiting").isEqualTo(2);
        executor.runAll();
        executor.runAll();
        executor.runAll();
        assertThat(ran).as("in claim order").containsExactlyElementsOf(ids.subList(0, 5));
        assertThat(engine.inFlight()).isZero();
        assertThat(executor.pending()).isZero();
        assertThat(engine.pollOnce().claimed()).as("every slot came back").isEqualTo(3);
        assertThat(executor.pending()).isEqualTo(2);
    }

    @Test
    void whileAnotherThreadSendsTheCompletionsAFinishingWorkerRunsTheJobsWaitingAfterItsOwn() {
        List<String> ran = new CopyOnWriteArrayList<>();
        AtomicInteger handedToThePool = new AtomicInteger();
        Executor pool = command -> {
            handedToThePool.incrementAndGet();
            executor.execute(command);
        };
        Engine engine = engine(1, 32, 3, pool, handle("email", job -> ran.add(job.id())));
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(enqueue("email", 4 - i));
        }
        AtomicInteger commits = new AtomicInteger();
        // While the first completion is being sent, its sender's handler slot has passed on: run
        // what the pool was given meanwhile, as another thread would.
        queue.duringDoneAll = () -> {
            if (commits.incrementAndGet() == 1) {
                executor.runAll();
            }
        };

        assertThat(engine.pollOnce().claimed()).isEqualTo(4);
        executor.runAll();

        assertThat(ran).as("in claim order, one handler at a time").containsExactlyElementsOf(ids);
        assertThat(handedToThePool).as("the first job, and the second, whose slot the sender passed on;"
                + " the third and fourth ran on the thread that ran the second").hasValue(2);
        assertThat(commits).as("the completions of the second to fourth shared one round trip").hasValue(2);
        ids.forEach(id -> assertThat(queue.get(id)).isEmpty());
        assertThat(engine.inFlight()).isZero();
        for (int i = 0; i < 5; i++) {
            enqueue("email", 0);
        }
        assertThat(engine.pollOnce().claimed()).as("every slot came back").isEqualTo(4);
    }

    @Test
    void aFailedJobsReleaseRoundTripDoesNotHoldUpTheNextJobWaiting() {
        List<String> ran = new CopyOnWriteArrayList<>();
        Engine engine = engine(1, 32, 1, executor, handle("email", job -> {
            ran.add(job.id());
            if (ran.size() == 1) {
                throw new IllegalStateException("first one fails");
            }
        }));
        String failing = enqueue("email", 2);
        String next = enqueue("email", 1);
        AtomicInteger handedOverDuringRelease = new AtomicInteger(-1);
        queue.duringRelease = () -> handedOverDuringRelease.compareAndSet(-1, executor.pending());
        assertThat(engine.pollOnce().claimed()).isEqualTo(2);

        assertThat(executor.runOne()).isTrue();

        assertThat(handedOverDuringRelease).as("the next job had the handler slot before the release was sent").hasValue(1);
        executor.runAll();
        assertThat(ran).containsExactly(failing, next);
        assertThat(entry(failing).attempts()).isEqualTo(1);
        assertThat(queue.get(next)).isEmpty();
    }

    @Test
    void withJobsClaimedAheadTheNextClaimWaitsUntilHalfOfThemStartedSoClaimsComeInBatches() {
        Engine engine = engine(2, 32, 4, executor, handle("email", job -> { }));
        for (int i = 0; i < 20; i++) {
            enqueue("email", 0);
        }
        assertThat(engine.pollOnce().claimed()).isEqualTo(6);
        assertThat(executor.pending()).isEqualTo(2);

        assertThat(executor.runOne()).isTrue();
        assertThat(engine.pollOnce().noRoom()).as("three of four still wait: no claim for one slot").isTrue();
        assertThat(executor.runOne()).isTrue();
        assertThat(engine.pollOnce().claimed()).as("two of four wait: refill the two free slots at once").isEqualTo(2);
        assertThat(queue.claimLog).containsExactly("claimBatch 6", "claimBatch 2");
    }

    @Test
    void aJobClaimedAheadIsHeartbeatedAndItsTimeOutStartsOnlyWithItsHandlerSlot() {
        List<String> ran = new CopyOnWriteArrayList<>();
        Engine engine = engine(1, 32, 1, executor, handle("email", job -> ran.add(job.id()),
                HandlerOptions.builder().timeout(Duration.ofSeconds(20)).build()));
        String first = enqueue("email", 2);
        String ahead = enqueue("email", 1);
        engine.pollOnce();
        Instant deadline = entry(ahead).visibleAt();

        ticker.advance(Duration.ofSeconds(25));
        clock.advance(Duration.ofSeconds(25));
        engine.keepOnce();

        assertThat(entry(ahead).visibleAt()).as("its lease is extended while it waits").isAfter(deadline);
        assertThat(entry(ahead).state()).isEqualTo(JobState.LEASED);
        assertThat(entry(first).lastError()).as("the running one timed out").isNotNull();
        assertThat(executor.runOne()).as("the timed-out job's thread comes, and does nothing").isTrue();
        assertThat(executor.pending()).as("its slot went to the job waiting").isEqualTo(1);
        ticker.advance(Duration.ofSeconds(10));
        engine.keepOnce();
        executor.runAll();
        assertThat(ran).as("25 s waiting did not count against its 20 s time-out").containsExactly(ahead);
        assertThat(queue.get(ahead)).isEmpty();
    }

    @Test
    void atStopJobsClaimedAheadGoBackUnstartedAndUncounted() {
        AtomicInteger ran = new AtomicInteger();
        Engine engine = engine(1, 32, 2, executor, handle("email", job -> ran.incrementAndGet()));
        List<String> ids = List.of(enqueue("email", 3), enqueue("email", 2), enqueue("email", 1));
        engine.pollOnce();
        assertThat(executor.pending()).isEqualTo(1);

        engines.remove(engine);
        engine.stop();
        executor.runAll();

        for (String id : ids) {
            assertThat(entry(id).state()).isEqualTo(JobState.READY);
            assertThat(entry(id).attempts()).as("never started: the attempt is not counted").isZero();
            assertThat(entry(id).visibleAt()).as("claimable at once by other supervisors").isEqualTo(clock.instant());
        }
        assertThat(ran).as("no handler starts after the stop").hasValue(0);
        assertThat(engine.inFlight()).isZero();
    }

    @Test
    void aJobClaimedAheadThatLosesItsLeaseWhileWaitingNeverRunsAndLeavesTheLine() {
        AtomicInteger ran = new AtomicInteger();
        Engine engine = engine(1, 32, 1, executor, handle("email", job -> ran.incrementAndGet()));
        enqueue("email", 2);
        String ahead = enqueue("email", 1);
        engine.pollOnce();
        clock.advance(Duration.ofSeconds(31)); // no heartbeat came: both leases expired
        List<Lease> stolen = queue.claimBatch(java.util.Set.of("email"), "thief", 2);
        assertThat(stolen).hasSize(2);

        engine.keepOnce();
        executor.runAll();

        assertThat(ran).as("neither job runs once its lease is lost").hasValue(0);
        assertThat(entry(ahead).workerId()).isEqualTo("thief");
        assertThat(engine.inFlight()).isZero();
        stolen.forEach(queue::done);
        enqueue("email", 0);
        enqueue("email", 0);
        assertThat(engine.pollOnce().claimed()).as("both slots came back, and no handler slot was lost").isEqualTo(2);
        assertThat(executor.pending()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ time-outs and heartbeats

    @Test
    void aTimeOutFiresWhenItPassesAndNotBefore() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch mayReturn = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean extendedAfterTimeOut = new AtomicBoolean(true);
        Engine engine = engine(2, executor, handle("report", job -> {
            started.countDown();
            try {
                mayReturn.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
            extendedAfterTimeOut.set(job.extendLease(Duration.ofMinutes(1)));
        }, HandlerOptions.builder().timeout(Duration.ofMinutes(10)).build()));
        String id = enqueue("report", 0);
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        ticker.advance(Duration.ofMinutes(9));
        engine.keepOnce();
        assertThat(entry(id).state()).as("nine of ten minutes: still running").isEqualTo(JobState.LEASED);
        assertThat(interrupted).isFalse();

        ticker.advance(Duration.ofMinutes(2));
        engine.keepOnce();
        worker.join(5_000);

        assertThat(interrupted).as("the handler is interrupted").isTrue();
        assertThat(extendedAfterTimeOut).as("a timed-out job's lease is no longer the handler's").isFalse();
        JobEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(JobState.READY);
        assertThat(entry.attempts()).isEqualTo(1);
        assertThat(entry.lastError().message()).contains("time-out of PT10M");
        assertThat(engine.inFlight()).isZero();
    }

    @Test
    void theLongestTimeOutKeepsHeartbeatsGoing() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch mayReturn = new CountDownLatch(1);
        Engine engine = engine(2, executor, handle("report", job -> {
            started.countDown();
            mayReturn.await();
        }, HandlerOptions.builder().timeout(HandlerOptions.MAX_TIMEOUT).build()));
        String id = enqueue("report", 0);
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        Instant firstDeadline = entry(id).visibleAt();

        clock.advance(Duration.ofSeconds(25));
        ticker.advance(Duration.ofSeconds(25));
        engine.keepOnce();

        assertThat(entry(id).visibleAt()).as("extended").isAfter(firstDeadline);
        mayReturn.countDown();
        worker.join(5_000);
        assertThat(queue.get(id)).isEmpty();
    }

    @Test
    void aJobThatFinishesWithinItsTimeOutCompletes() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch mayReturn = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        Engine engine = engine(2, executor, handle("report", job -> {
            started.countDown();
            try {
                mayReturn.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
                throw e;
            }
        }, HandlerOptions.builder().timeout(Duration.ofMinutes(10)).build()));
        String id = enqueue("report", 0);
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        ticker.advance(Duration.ofMinutes(10).minusMillis(1));
        engine.keepOnce();
        mayReturn.countDown();
        worker.join(5_000);

        assertThat(interrupted).as("a millisecond to spare").isFalse();
        assertThat(queue.get(id)).as("done").isEmpty();
        assertThat(finished("report", "success")).isEqualTo(1);
        assertThat(finished("report", "timeout")).isZero();
        assertThat(engine.inFlight()).isZero();
    }

    @Test
    void theKeeperWaitsUntilTheNextExtensionIsDue() {
        Engine engine = engine(2, executor, handle("report", job -> { }));
        assertThat(engine.keepOnce()).as("nothing running: its longest wait").isEqualTo(Duration.ofSeconds(1).toNanos());
        String id = queue.enqueue(JobRequest.builder("report").payload("x").visibilityTimeout(Duration.ofMillis(900))
                .build()).id();
        engine.pollOnce(); // claimed: its lease is kept from now on, started or not
        Instant firstDeadline = entry(id).visibleAt();

        assertThat(engine.keepOnce()).as("extensions are due a third into the 900 ms lease").isEqualTo(millis(300));
        clock.advance(Duration.ofMillis(100));
        assertThat(engine.keepOnce()).isEqualTo(millis(200));
        assertThat(entry(id).visibleAt()).as("not extended before it is due").isEqualTo(firstDeadline);

        clock.advance(Duration.ofMillis(200));
        assertThat(engine.keepOnce()).as("extended; the next a third into the extension").isEqualTo(millis(300));
        assertThat(entry(id).visibleAt()).isEqualTo(clock.instant().plusMillis(900));
    }

    @Test
    void theKeeperWakesForATimeOutDueBeforeTheNextExtension() {
        Engine engine = engine(2, executor, handle("report", job -> { },
                HandlerOptions.builder().timeout(Duration.ofMillis(100)).build()));
        String id = enqueue("report", 0); // a 30 s lease: its first extension is 10 s away
        engine.pollOnce();

        ticker.advance(Duration.ofMillis(40));
        assertThat(engine.keepOnce()).isEqualTo(millis(60));
        ticker.advance(Duration.ofMillis(60));
        engine.keepOnce();

        assertThat(entry(id).lastError().message()).contains("time-out of PT0.1S");
        assertThat(engine.keepOnce()).as("nothing left to keep").isEqualTo(Duration.ofSeconds(1).toNanos());
    }

    /** A lease lost while the handler hangs on: the slot comes back at once, the late result counts for nothing. */
    @Test
    void aJobWhoseLeaseWasLostGivesItsSlotBackWhileItsHandlerHangsOn() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch mayReturn = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean sawLost = new AtomicBoolean();
        List<String> ran = new CopyOnWriteArrayList<>();
        Engine engine = engine(1, executor, handle("email", job -> {
            ran.add(job.payload());
            if (job.payload().equals("stalls")) {
                started.countDown();
                while (mayReturn.getCount() > 0) { // ignores interrupts until the test lets it go
                    try {
                        mayReturn.await();
                    } catch (InterruptedException e) {
                        interrupted.set(true);
                        sawLost.set(job.isLeaseLost());
                    }
                }
            }
        }));
        String stalls = queue.enqueue(JobRequest.builder("email").payload("stalls").priority(1).build()).id();
        String next = queue.enqueue(JobRequest.builder("email").payload("next").build()).id();
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        // The lease runs out unrenewed (a stalled process) and another worker claims the entry.
        clock.advance(Duration.ofSeconds(31));
        Lease other = queue.claim(java.util.Set.of("email"), "worker-2").orElseThrow();
        assertThat(other.id()).isEqualTo(stalls);
        assertThat(engine.pollOnce().noRoom()).as("its one slot is still taken").isTrue();

        engine.keepOnce(); // the extension finds the lease lost

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).untilTrue(interrupted);
        assertThat(sawLost).isTrue();
        assertThat(finished("email", "lease_lost")).isEqualTo(1);
        assertThat(engine.pollOnce().claimed()).as("the slot came back with the lease loss").isEqualTo(1);
        executor.runAll();
        assertThat(ran).containsExactly("stalls", "next");
        assertThat(queue.get(next)).as("done").isEmpty();

        mayReturn.countDown();
        worker.join(5_000);
        JobEntry taken = entry(stalls);
        assertThat(taken.state()).as("the stale handler's return completed nothing").isEqualTo(JobState.LEASED);
        assertThat(taken.workerId()).isEqualTo("worker-2");
        assertThat(finished("email", "success")).as("only the next job").isEqualTo(1);
        assertThat(queue.done(other)).isTrue();
    }

    @Test
    void onlyTheListedFailuresAndThoseCausedByThemAreNonRetryable() {
        Engine engine = engine(4, executor, handle("pay", job -> {
            switch (job.payload()) {
                case "retryable" -> throw new IllegalStateException("gateway timed out");
                case "listed" -> throw new NumberFormatException("amount was \"ten\"");
                default -> throw new RuntimeException("charge failed", new IllegalArgumentException("no such card"));
            }
        }, HandlerOptions.builder().nonRetryable(IllegalArgumentException.class)
                .backoff(Backoff.exponential().initial(Duration.ofSeconds(5)).jitter(0).max(Duration.ofMinutes(1))).build()));
        String retryable = queue.enqueue(JobRequest.builder("pay").payload("retryable").build()).id();
        String listed = queue.enqueue(JobRequest.builder("pay").payload("listed").build()).id();
        String caused = queue.enqueue(JobRequest.builder("pay").payload("caused").build()).id();

        engine.pollOnce();
        executor.runAll();

        JobEntry retried = entry(retryable);
        assertThat(retried.state()).as("not on the list: retried").isEqualTo(JobState.READY);
        assertThat(retried.visibleAt()).as("after its backoff").isEqualTo(clock.instant().plusSeconds(5));
        assertThat(retried.lastError().exceptionClass()).isEqualTo(IllegalStateException.class.getName());
        JobEntry subclass = entry(listed);
        assertThat(subclass.state()).as("a subclass of a listed class").isEqualTo(JobState.DEAD);
        assertThat(subclass.lastError().exceptionClass()).isEqualTo(NumberFormatException.class.getName());
        JobEntry wrapped = entry(caused);
        assertThat(wrapped.state()).as("a listed class in the cause chain").isEqualTo(JobState.DEAD);
        assertThat(wrapped.lastError().message()).isEqualTo("charge failed");
        assertThat(List.of(retried, subclass, wrapped)).allSatisfy(entry -> assertThat(entry.attempts()).isEqualTo(1));
        assertThat(finished("pay", "retry")).isEqualTo(1);
        assertThat(finished("pay", "dead")).isEqualTo(2);
    }

    @Test
    void aCustomBackoffBeyondTheLongestIsCappedNotFatal() {
        Engine engine = engine(2, executor, handle("flaky", job -> {
            throw new IllegalStateException("upstream down");
        }, HandlerOptions.builder().backoff(attempt -> Duration.ofSeconds(Long.MAX_VALUE)).build()));
        String id = enqueue("flaky", 0);

        engine.pollOnce();
        executor.runAll();

        JobEntry entry = entry(id);
        assertThat(entry.state()).isEqualTo(JobState.READY);
        assertThat(entry.visibleAt()).isEqualTo(clock.instant().plus(Backoff.MAX_DELAY));
        assertThat(engine.inFlight()).isZero();
    }

    // ------------------------------------------------------------------ shutdown

    /** Defect: an abandoned run was handed back with its attempt refunded, so a handler that never finishes never ends. */
    @Test
    void aHandlerStillRunningAtShutdownUsesItsAttempt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        Engine engine = engine(2, executor, handle("report", job -> {
            started.countDown();
            new CountDownLatch(1).await(); // until interrupted
        }));
        String id = queue.enqueue(JobRequest.builder("report").payload("x").maxAttempts(1).build()).id();
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        engines.remove(engine);
        engine.stop(); // drain time-out zero
        worker.join(5_000);

        JobEntry entry = entry(id);
        assertThat(entry.state()).as("its only attempt is used up").isEqualTo(JobState.DEAD);
        assertThat(entry.lastError().message()).contains("still running when its worker shut down");
    }

    @Test
    void aJobClaimedButNotStartedAtShutdownGoesBackUncounted() {
        AtomicInteger ran = new AtomicInteger();
        Engine engine = engine(2, executor, handle("email", job -> ran.incrementAndGet()));
        String id = enqueue("email", 0);
        engine.pollOnce();

        engines.remove(engine);
        engine.stop();
        executor.runAll();

        assertThat(ran).hasValue(0);
        assertThat(entry(id).state()).isEqualTo(JobState.READY);
        assertThat(entry(id).attempts()).isZero();
    }
}
