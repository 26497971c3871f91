package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.DatabaseUnavailableException;
import io.docjobs.HandlerOptions;
import io.docjobs.JobEntry;
import io.docjobs.JobHandler;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import io.docjobs.Lease;
import io.docjobs.ManualQueues;
import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The stepped engine at its edges: failing claims and acknowledgements, type limits holding a
 * round back, leases lost on completion, extensions riding along, the metrics of a run, and
 * what stop() does with what still runs.
 */
@Timeout(30)
class EngineEdgesTest {
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private final ManualTicker ticker = new ManualTicker();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    private final ManualExecutor executor = new ManualExecutor();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final List<Engine> engines = new ArrayList<>();
    /** Every extendAll call, as the number of leases it carried. */
    private final List<Integer> extendCalls = new CopyOnWriteArrayList<>();
    /** Calls by method name that throw a database error instead of reaching the queue. */
    private final Set<String> failing = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Calls by method name answered by the test instead of the queue. */
    private final java.util.Map<String, java.util.function.Function<Object[], Object>> overrides =
            new java.util.concurrent.ConcurrentHashMap<>();
    private FaultyQueue faulty;
    private JobQueue queue;

    @BeforeEach
    void openQueue() {
        faulty = new FaultyQueue(queues.open(clock));
        queue = (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(), new Class<?>[] {JobQueue.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("extendAll")) {
                        extendCalls.add(((Collection<?>) args[0]).size());
                    }
                    if (failing.contains(method.getName())) {
                        throw new DatabaseUnavailableException("injected " + method.getName() + " failure", null);
                    }
                    var override = overrides.get(method.getName());
                    if (override != null) {
                        return override.apply(args);
                    }
                    try {
                        return method.invoke(faulty, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @AfterEach
    void stopEngines() {
        failing.clear();
        overrides.clear();
        engines.forEach(Engine::stop);
    }

    private Engine engine(int workers, int maxBatch, Executor pool, Duration drain, Registration... registrations) {
        Engine.Settings settings = new Engine.Settings("edges", "worker-1", workers, 1, maxBatch, 0, Duration.ofMillis(10),
                Duration.ofMillis(100), drain, registry, io.micrometer.observation.ObservationRegistry.NOOP);
        Engine engine = new Engine(queue, List.of(registrations), settings, ticker, pool);
        engine.startStepping();
        engines.add(engine);
        return engine;
    }

    private Engine engine(int workers, Registration... registrations) {
        return engine(workers, 32, executor, Duration.ZERO, registrations);
    }

    private static Registration handle(String type, JobHandler handler) {
        return new Registration(type, handler, HandlerOptions.DEFAULTS);
    }

    private static Registration handle(String type, JobHandler handler, HandlerOptions options) {
        return new Registration(type, handler, options);
    }

    private String enqueue(String type) {
        return queue.enqueue(JobRequest.builder(type).payload("x").build()).id();
    }

    private JobEntry entry(String id) {
        return queue.get(id).orElseThrow();
    }

    private double count(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        return counter == null ? 0 : counter.count();
    }

    private double finished(String type, String outcome) {
        return count(SupervisorMetrics.FINISHED, "type", type, "outcome", outcome);
    }

    private static Object field(Engine engine, String name) throws ReflectiveOperationException {
        var field = Engine.class.getDeclaredField(name);
        field.setAccessible(true);
        return field.get(engine);
    }

    // ------------------------------------------------------------------ failing claims

    @Test
    void aFailedClaimIsCountedAsAFailedPollAndADatabaseError() {
        Engine engine = engine(4, handle("email", job -> { }));
        enqueue("email");
        faulty.failClaims = call -> call == 1;

        Poller.Poll failed = engine.pollOnce();

        assertThat(failed).isEqualTo(new Poller.Poll(4, 0, 0, true, false));
        assertThat(count(SupervisorMetrics.POLLS, "result", "error")).isEqualTo(1);
        assertThat(count(SupervisorMetrics.DB_ERRORS, "operation", "claim")).isEqualTo(1);
        assertThat(executor.pending()).isZero();

        Poller.Poll next = engine.pollOnce();
        assertThat(next.claimed()).as("the failed round held no slot back").isEqualTo(1);
        assertThat(count(SupervisorMetrics.POLLS, "result", "error")).isEqualTo(1);
        assertThat(count(SupervisorMetrics.POLLS, "result", "hit")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ type limits holding a round back

    @Test
    void aLimitedTypeWithNoRoomHoldsTheRoundBack() {
        Engine engine = engine(4, handle("limited", job -> { }, HandlerOptions.builder().concurrency(1).build()),
                handle("other", job -> { }));
        enqueue("limited");
        assertThat(engine.pollOnce().claimed()).isEqualTo(1);
        enqueue("limited");

        Poller.Poll poll = engine.pollOnce();

        assertThat(poll.claimed()).isZero();
        assertThat(poll.limitedByType()).as("the limited type had no room: a freed slot may help").isTrue();
    }

    @Test
    void aLimitedTypeThatFilledItsRoomHoldsTheRoundBack() {
        Engine engine = engine(4, handle("limited", job -> { }, HandlerOptions.builder().concurrency(2).build()),
                handle("other", job -> { }));
        for (int i = 0; i < 3; i++) {
            enqueue("limited");
        }

        Poller.Poll poll = engine.pollOnce();

        assertThat(poll.claimed()).isEqualTo(2);
        assertThat(poll.reserved()).isEqualTo(4);
        assertThat(poll.limitedByType()).isTrue();
    }

    @Test
    void aRoundTheLimitsDidNotHoldBackSaysSo() {
        Engine engine = engine(4, handle("limited", job -> { }, HandlerOptions.builder().concurrency(2).build()),
                handle("other", job -> { }));
        enqueue("limited");
        enqueue("other");

        Poller.Poll poll = engine.pollOnce();
        assertThat(poll.claimed()).isEqualTo(2);
        assertThat(poll.limitedByType()).as("the limited type got less than its room").isFalse();

        Engine unlimited = engine(4, handle("other", job -> { }));
        assertThat(unlimited.pollOnce().limitedByType()).isFalse();
    }

    @Test
    void aLimitedTypeWhoseRoomIsTheWholeRoundDoesNotHoldItBack() {
        Engine engine = engine(4, 2, executor, Duration.ZERO,
                handle("limited", job -> { }, HandlerOptions.builder().concurrency(2).build()),
                handle("other", job -> { }));
        enqueue("limited");
        enqueue("limited");

        Poller.Poll poll = engine.pollOnce();

        assertThat(poll.reserved()).isEqualTo(2);
        assertThat(poll.claimed()).isEqualTo(2);
        assertThat(poll.limitedByType()).as("the round was full anyway").isFalse();
    }

    // ------------------------------------------------------------------ freed slots wake pollers

    @Test
    void aFinishedJobWakesThePollersWaitingForCapacity() throws Exception {
        Engine engine = engine(1, handle("email", job -> { }));
        enqueue("email");
        engine.pollOnce();
        Wakeups wakeups = (Wakeups) field(engine, "wakeups");
        Signal slotFreed = (Signal) field(engine, "slotFreed");
        Wakeups.Seen seen = wakeups.seen();
        long freed = slotFreed.generation();
        assertThat(engine.pollOnce().noRoom()).isTrue();

        executor.runAll();

        assertThat(wakeups.seen().capacity()).isGreaterThan(seen.capacity());
        assertThat(slotFreed.generation()).isGreaterThan(freed);
        wakeups.await(seen, false, true, TimeUnit.HOURS.toNanos(1)); // returns at once
    }

    @Test
    void anEnqueueOfAHandledTypeOrOfUnknownTypesWakesThePollers() throws Exception {
        Engine engine = engine(1, handle("email", job -> { }));
        Wakeups wakeups = (Wakeups) field(engine, "wakeups");
        long before = wakeups.seen().work();

        enqueue("sms");
        assertThat(wakeups.seen().work()).as("not a type of ours").isEqualTo(before);
        enqueue("email");
        assertThat(wakeups.seen().work()).isEqualTo(before + 1);
    }

    @Test
    void aChangeFeedThatMayHaveMissedSomethingWakesThePollers() throws Exception {
        AtomicReference<java.util.function.Consumer<Set<String>>> listener = new AtomicReference<>();
        overrides.put("onEnqueue", args -> {
            @SuppressWarnings("unchecked")
            var consumer = (java.util.function.Consumer<Set<String>>) args[0];
            listener.set(consumer);
            return (Runnable) () -> { };
        });
        Engine engine = engine(1, handle("email", job -> { }));
        Wakeups wakeups = (Wakeups) field(engine, "wakeups");
        long before = wakeups.seen().work();

        listener.get().accept(Set.of());
        assertThat(wakeups.seen().work()).isEqualTo(before + 1);
        listener.get().accept(Set.of("sms", "fax"));
        assertThat(wakeups.seen().work()).isEqualTo(before + 1);
        listener.get().accept(Set.of("sms", "email"));
        assertThat(wakeups.seen().work()).isEqualTo(before + 2);
    }

    @Test
    void aLeaseOfATypeNotAskedForIsHandedBackUnstarted() {
        Engine engine = engine(1, handle("email", job -> { }));
        String sms = enqueue("sms");
        overrides.put("claim", args -> faulty.claim(Set.of("sms"), (String) args[1]));

        Poller.Poll poll = engine.pollOnce();

        assertThat(poll.claimed()).isEqualTo(1);
        assertThat(poll.started()).isZero();
        assertThat(executor.pending()).isZero();
        assertThat(faulty.giveBacks).hasValue(1);
        assertThat(entry(sms).state()).isEqualTo(JobState.READY);
        assertThat(entry(sms).attempts()).isZero();
        overrides.clear();
        enqueue("email");
        assertThat(engine.pollOnce().claimed()).as("its slot was never taken").isEqualTo(1);
    }

    @Test
    void aLeaseClaimedWhileTheEngineStopsIsHandedBackAndItsSlotFreed() throws Exception {
        AtomicReference<Engine> self = new AtomicReference<>();
        overrides.put("claim", args -> {
            self.get().stop(); // the shutdown happens while the claim is under way
            @SuppressWarnings("unchecked")
            var types = (Collection<String>) args[0];
            return faulty.claim(types, (String) args[1]);
        });
        Engine engine = engine(1, handle("email", job -> { }));
        self.set(engine);
        String id = enqueue("email");

        Poller.Poll poll = engine.pollOnce();

        assertThat(poll.claimed()).isEqualTo(1);
        assertThat(poll.started()).isZero();
        assertThat(executor.pending()).isZero();
        assertThat(engine.inFlight()).isZero();
        assertThat(faulty.giveBacks).hasValue(1);
        assertThat(entry(id).state()).isEqualTo(JobState.READY);
        assertThat(entry(id).attempts()).isZero();
        assertThat(((Slots) field(engine, "slots")).globalFree()).as("its slot is free").isEqualTo(1);
    }

    @Test
    void aJobWithNoThreadGivesItsSlotBackForTheNextRound() throws Exception {
        Executor noThreads = command -> {
            throw new RejectedExecutionException("unable to create native thread");
        };
        Engine engine = engine(1, 32, noThreads, Duration.ZERO, handle("email", job -> { }));
        Wakeups wakeups = (Wakeups) field(engine, "wakeups");
        enqueue("email");
        long capacity = wakeups.seen().capacity();

        assertThat(engine.pollOnce().started()).isZero();

        assertThat(wakeups.seen().capacity()).isGreaterThan(capacity);
        Poller.Poll next = engine.pollOnce();
        assertThat(next.noRoom()).as("the one slot is free again").isFalse();
        assertThat(next.claimed()).isEqualTo(1);
    }

    // ------------------------------------------------------------------ completion

    @Test
    void aJobWhoseLeaseWasTakenWhileItRanIsNotAcknowledgedAndFreesItsSlot() {
        AtomicReference<Lease> other = new AtomicReference<>();
        Engine engine = engine(1, handle("email", job -> {
            // It runs past its lease and another worker claims the entry meanwhile.
            clock.advance(Duration.ofSeconds(31));
            other.set(queue.claim(Set.of("email"), "worker-2").orElseThrow());
        }));
        String id = enqueue("email");
        engine.pollOnce();

        executor.runAll();

        assertThat(finished("email", "lease_lost")).isEqualTo(1);
        assertThat(finished("email", "success")).isZero();
        assertThat(count(SupervisorMetrics.LEASE_LOSSES, "type", "email")).isEqualTo(1);
        assertThat(entry(id).workerId()).isEqualTo("worker-2");
        assertThat(entry(id).state()).isEqualTo(JobState.LEASED);
        assertThat(engine.inFlight()).isZero();
        enqueue("email");
        assertThat(engine.pollOnce().claimed()).as("its slot is free").isEqualTo(1);
    }

    @Test
    void aFailedJobWhoseLeaseWasTakenIsNeitherRetriedNorDeadLettered() {
        Engine engine = engine(1, handle("email", job -> {
            clock.advance(Duration.ofSeconds(31));
            queue.claim(Set.of("email"), "worker-2").orElseThrow();
            throw new IllegalStateException("failed late");
        }));
        String id = enqueue("email");
        engine.pollOnce();

        executor.runAll();

        assertThat(finished("email", "lease_lost")).isEqualTo(1);
        assertThat(finished("email", "retry")).isZero();
        assertThat(count(SupervisorMetrics.LEASE_LOSSES, "type", "email")).isEqualTo(1);
        assertThat(entry(id).workerId()).isEqualTo("worker-2");
        assertThat(entry(id).lastError()).isNull();
    }

    @Test
    void anAcknowledgementThatFailsIsCountedAsADatabaseErrorOfItsOperation() {
        Engine engine = engine(2, handle("email", job -> {
            if (job.payload().equals("fails")) {
                throw new IllegalStateException("handler failed");
            }
        }));
        queue.enqueue(JobRequest.builder("email").payload("ok").build());
        queue.enqueue(JobRequest.builder("email").payload("fails").build());
        engine.pollOnce();
        failing.add("doneAll");
        failing.add("release");

        executor.runAll();

        assertThat(count(SupervisorMetrics.DB_ERRORS, "operation", "done")).isEqualTo(1);
        assertThat(count(SupervisorMetrics.DB_ERRORS, "operation", "release")).isEqualTo(1);
        assertThat(engine.inFlight()).isZero();
        failing.clear();
        assertThat(engine.pollOnce().noRoom()).as("both slots are free").isFalse();
    }

    @Test
    void theHandlersMaxAttemptsCapsTheRetries() {
        Engine engine = engine(1, handle("pay", job -> {
            throw new IllegalStateException("declined");
        }, HandlerOptions.builder().maxAttempts(2).backoff(attempt -> Duration.ZERO).build()));
        String id = queue.enqueue(JobRequest.builder("pay").payload("x").maxAttempts(10).build()).id();

        engine.pollOnce();
        executor.runAll();
        assertThat(entry(id).state()).as("attempt 1 of 2: retried").isEqualTo(JobState.READY);
        assertThat(entry(id).attempts()).isEqualTo(1);

        engine.pollOnce();
        executor.runAll();
        assertThat(entry(id).state()).as("attempt 2 of 2: the last").isEqualTo(JobState.DEAD);
        assertThat(finished("pay", "retry")).isEqualTo(1);
        assertThat(finished("pay", "dead")).isEqualTo(1);
    }

    // ------------------------------------------------------------------ a run's metrics

    @Test
    void aRunIsInFlightWhileItRunsAndItsDurationIsRecordedWithItsOutcome() {
        AtomicReference<Double> inFlightDuring = new AtomicReference<>();
        Engine engine = engine(2, handle("email", job -> {
            inFlightDuring.set(registry.find(SupervisorMetrics.IN_FLIGHT).tag("type", "email").gauge().value());
            ticker.advance(Duration.ofSeconds(3));
            if (job.payload().equals("fails")) {
                throw new IllegalStateException("handler failed");
            }
        }));
        queue.enqueue(JobRequest.builder("email").payload("ok").build());
        engine.pollOnce();
        executor.runAll();

        assertThat(inFlightDuring.get()).isEqualTo(1.0);
        assertThat(registry.find(SupervisorMetrics.IN_FLIGHT).tag("type", "email").gauge().value()).isZero();
        Timer success = registry.find(SupervisorMetrics.HANDLER_DURATION).tag("outcome", "success").timer();
        assertThat(success.count()).isEqualTo(1);
        assertThat(success.totalTime(TimeUnit.SECONDS)).isEqualTo(3.0);

        queue.enqueue(JobRequest.builder("email").payload("fails").build());
        engine.pollOnce();
        executor.runAll();
        Timer failure = registry.find(SupervisorMetrics.HANDLER_DURATION).tag("outcome", "failure").timer();
        assertThat(failure.count()).isEqualTo(1);
        assertThat(success.count()).isEqualTo(1);
    }

    @Test
    void aHandlerThatTimedOutIsStuckUntilItReturnsAndItsRunIsRecordedAsTimedOut() {
        AtomicReference<Double> stuckAfterTimeOut = new AtomicReference<>();
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicReference<Engine> self = new AtomicReference<>();
        Engine engine = engine(1, handle("report", job -> {
            ticker.advance(Duration.ofSeconds(11));
            Thread keeper = new Thread(() -> self.get().keepOnce()); // the keeper times it out while it runs
            keeper.start();
            boolean wasInterrupted = false;
            while (keeper.isAlive()) {
                try {
                    keeper.join(10_000);
                } catch (InterruptedException e) {
                    wasInterrupted = true; // the time-out's interrupt came during the join
                }
            }
            interrupted.set(wasInterrupted || Thread.currentThread().isInterrupted());
            stuckAfterTimeOut.set(registry.find(SupervisorMetrics.STUCK_HANDLERS).gauge().value());
        }, HandlerOptions.builder().timeout(Duration.ofSeconds(10)).backoff(attempt -> Duration.ZERO).build()));
        self.set(engine);
        String id = enqueue("report");
        engine.pollOnce();

        executor.runAll();

        assertThat(interrupted).isTrue();
        assertThat(Thread.interrupted()).as("the interrupt does not outlive the run").isFalse();
        assertThat(stuckAfterTimeOut.get()).isEqualTo(1.0);
        assertThat(registry.find(SupervisorMetrics.STUCK_HANDLERS).gauge().value()).isZero();
        Timer timedOut = registry.find(SupervisorMetrics.HANDLER_DURATION).tag("outcome", "timed_out").timer();
        assertThat(timedOut.count()).isEqualTo(1);
        assertThat(finished("report", "timeout")).isEqualTo(1);
        assertThat(entry(id).state()).isEqualTo(JobState.READY);
        assertThat(engine.pollOnce().claimed()).as("the slot is free, once").isEqualTo(1);
        assertThat(engine.pollOnce().noRoom()).isTrue();
    }

    // ------------------------------------------------------------------ lease keeping

    @Test
    void aTimedOutJobWhoseReleaseFailsCountsADatabaseErrorAndStillFreesItsSlot() {
        Engine engine = engine(1, handle("report", job -> { }, HandlerOptions.builder().timeout(Duration.ofSeconds(10)).build()));
        enqueue("report");
        engine.pollOnce();
        ticker.advance(Duration.ofSeconds(11));
        failing.add("release");

        engine.keepOnce();

        assertThat(count(SupervisorMetrics.DB_ERRORS, "operation", "release")).isEqualTo(1);
        assertThat(engine.inFlight()).isZero();
        failing.clear();
        enqueue("report");
        assertThat(engine.pollOnce().claimed()).as("the slot is free").isEqualTo(1);
    }

    @Test
    void leasesDueWithinASixthOfTheirExtensionRideAlongInTheSameRoundTrip() {
        Engine engine = engine(4, handle("email", job -> { }));
        String first = enqueue("email");
        engine.pollOnce();
        clock.advance(Duration.ofSeconds(5));
        String riding = enqueue("email");
        engine.pollOnce();
        clock.advance(Duration.ofSeconds(1));
        String later = enqueue("email");
        engine.pollOnce();
        clock.advance(Duration.ofSeconds(4)); // the first is due; the second 5 s (a sixth of 30 s) later, the third 6 s

        long next = engine.keepOnce();

        assertThat(extendCalls).as("one round trip for the first two").containsExactly(2);
        assertThat(next).as("the keeper looks again within a second").isEqualTo(Duration.ofSeconds(1).toNanos());
        Instant renewed = clock.instant().plusSeconds(30);
        assertThat(entry(first).visibleAt()).isEqualTo(renewed);
        assertThat(entry(riding).visibleAt()).isEqualTo(renewed);
        assertThat(entry(later).visibleAt()).as("claimed 6 s after the first").isEqualTo(clock.instant().plusSeconds(26));

        engine.keepOnce();
        assertThat(extendCalls).hasSize(1);
        assertThat(count(SupervisorMetrics.LEASE_EXTENSIONS)).isEqualTo(2);
    }

    @Test
    void aFailingExtensionIsRethrownForTheOutageLog() {
        Engine engine = engine(2, handle("email", job -> { }));
        enqueue("email");
        engine.pollOnce();
        clock.advance(Duration.ofSeconds(11));
        failing.add("extendAll");

        assertThatThrownBy(engine::keepOnce).isInstanceOf(DatabaseUnavailableException.class);

        failing.clear();
        assertThat(engine.keepOnce()).isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(extendCalls).as("the failed call and the one that worked").hasSize(2);
    }

    @Test
    void theKeeperCountsAFailingExtensionAsADatabaseError() {
        Engine.Settings settings = new Engine.Settings("keeper", "worker-1", 2, 1, 32, 0, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, registry, io.micrometer.observation.ObservationRegistry.NOOP);
        Engine engine = new Engine(queue, List.of(handle("email", job -> { })), settings, ticker, executor);
        engines.add(engine);
        clock.advance(Duration.ofSeconds(0));
        enqueue("email");
        failing.add("extendAll");
        engine.start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> engine.inFlight() == 1);

        clock.advance(Duration.ofSeconds(11)); // its extension is due; the keeper looks at least once a second

        Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> count(SupervisorMetrics.DB_ERRORS, "operation", "extend") >= 1);
        failing.clear();
    }

    /** A job whose handler works until interrupted, running on a thread of its own; whether it then saw isCancelled(). */
    private record Hanging(Engine engine, String id, Thread worker, AtomicBoolean sawCancelled) {
    }

    /** Has every extension call wait for {@code answer}, then reach the database or fail as a timed-out socket does. */
    private void extensionsWaitFor(CountDownLatch answer, boolean reachTheDatabase) {
        overrides.put("extendAll", args -> {
            try {
                answer.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (!reachTheDatabase) {
                throw new DatabaseUnavailableException("extendAll timed out", null);
            }
            @SuppressWarnings("unchecked")
            Collection<Lease> leases = (Collection<Lease>) args[0];
            return faulty.extendAll(leases, (Duration) args[1]);
        });
    }

    private Hanging startHanging() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean sawCancelled = new AtomicBoolean();
        Engine engine = engine(1, handle("email", job -> {
            started.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                sawCancelled.set(job.isCancelled());
            }
        }));
        String id = enqueue("email");
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        return new Hanging(engine, id, worker, sawCancelled);
    }

    @Test
    void aLeaseWhoseDeadlinePassesWhileNoExtensionGetsThroughCancelsItsHandlerWithoutWaitingForAReply()
            throws Exception {
        Hanging hanging = startHanging();
        Engine engine = hanging.engine();
        String id = hanging.id();
        AtomicBoolean sawCancelled = hanging.sawCancelled();
        Thread worker = hanging.worker();
        failing.add("extendAll"); // cut off from the database: no extension, and no reply saying the lease is lost

        clock.advance(Duration.ofSeconds(29));
        assertThatThrownBy(engine::keepOnce).isInstanceOf(DatabaseUnavailableException.class);
        assertThat(engine.inFlight()).as("a second before its deadline the lease is still the handler's").isEqualTo(1);
        assertThat(sawCancelled).isFalse();

        clock.advance(Duration.ofSeconds(1));
        engine.keepOnce();
        worker.join(5_000);

        assertThat(sawCancelled).as("interrupted, and isCancelled() says why").isTrue();
        assertThat(finished("email", "lease_lost")).isEqualTo(1);
        assertThat(count(SupervisorMetrics.LEASE_LOSSES, "type", "email")).isEqualTo(1);
        assertThat(engine.inFlight()).as("its slot is free").isZero();
        failing.clear();
        assertThat(entry(id).state()).as("nothing written: the expired lease just lapses").isEqualTo(JobState.LEASED);
        assertThat(queue.claim(Set.of("email"), "worker-2")).as("another worker may claim it").isPresent();
    }

    @Test
    void anExtensionCallTheDatabaseNeverAnswersDoesNotKeepTheKeeperFromTheDeadline() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        Hanging hanging = startHanging();
        Engine engine = hanging.engine();
        AtomicBoolean sawCancelled = hanging.sawCancelled();
        Thread worker = hanging.worker();
        // Bytes lost both ways: the call hangs until the socket time-out, long after the deadline.
        extensionsWaitFor(answer, false);

        clock.advance(Duration.ofSeconds(30).minusMillis(20));
        assertThat(engine.keepOnce()).as("the extension is due; the keeper waits for it until the deadline at most,"
                + " then looks again at the deadline").isEqualTo(Duration.ofMillis(20).toNanos());
        assertThat(engine.inFlight()).as("the call hangs, but the lease is still valid").isEqualTo(1);
        assertThat(extendCalls).hasSize(1);

        clock.advance(Duration.ofMillis(20));
        assertThat(engine.keepOnce()).as("nothing left to keep: its longest wait, not a spin")
                .isEqualTo(Duration.ofSeconds(1).toNanos());
        worker.join(5_000);

        assertThat(sawCancelled).as("cancelled at the deadline, the call still unanswered").isTrue();
        assertThat(finished("email", "lease_lost")).isEqualTo(1);
        assertThat(engine.inFlight()).isZero();
        assertThat(extendCalls).as("no second call while the first hangs").hasSize(1);
        answer.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThatThrownBy(engine::keepOnce).as("the late failure still reaches the outage log")
                        .isInstanceOf(DatabaseUnavailableException.class));
    }

    @Test
    void anExtensionThatFindsTheLeaseTakenCancelsTheHandlerThoughThisHostsClockLagsTheDeadline() throws Exception {
        Hanging hanging = startHanging();
        Engine engine = hanging.engine();
        String id = hanging.id();
        AtomicBoolean sawCancelled = hanging.sawCancelled();
        Thread worker = hanging.worker();
        Instant lagging = clock.instant().plusSeconds(25); // this host's reading of the database's clock
        overrides.put("now", args -> lagging);
        clock.advance(Duration.ofSeconds(31)); // the database's own: the lease expired there ...
        queue.claim(Set.of("email"), "worker-2").orElseThrow(); // ... and another worker took the entry

        engine.keepOnce();
        worker.join(5_000);

        assertThat(sawCancelled).as("the extension's answer said the lease was lost").isTrue();
        assertThat(finished("email", "lease_lost")).isEqualTo(1);
        assertThat(count(SupervisorMetrics.LEASE_LOSSES, "type", "email")).isEqualTo(1);
        assertThat(engine.inFlight()).isZero();
        assertThat(entry(id).workerId()).isEqualTo("worker-2");
    }

    @Test
    void anExtensionAnsweredAfterTheKeeperStoppedWaitingStillMovesTheDeadline() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        Hanging hanging = startHanging();
        Engine engine = hanging.engine();
        AtomicBoolean sawCancelled = hanging.sawCancelled();
        Thread worker = hanging.worker();
        extensionsWaitFor(answer, true);
        clock.advance(Duration.ofSeconds(30).minusMillis(20));
        engine.keepOnce(); // the call is not answered before the keeper stops waiting
        assertThat(count(SupervisorMetrics.LEASE_EXTENSIONS)).isZero();

        answer.countDown();
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> {
            engine.keepOnce();
            return count(SupervisorMetrics.LEASE_EXTENSIONS) == 1;
        });
        assertThat(extendCalls).as("the late answer renewed the lease: no second call was due").hasSize(1);
        clock.advance(Duration.ofMillis(20)); // past the deadline the lease had before the late answer
        engine.keepOnce();

        assertThat(engine.inFlight()).as("renewed by the late answer: still running").isEqualTo(1);
        assertThat(sawCancelled).isFalse();
        assertThat(finished("email", "lease_lost")).isZero();
        engines.forEach(Engine::stop);
        engines.clear();
        worker.join(5_000);
    }

    @Test
    void aLeaseLostBeforeItsHandlerStartedFreesTheSlotAndTheHandlerNeverRuns() {
        AtomicInteger ran = new AtomicInteger();
        Engine engine = engine(1, handle("email", job -> ran.incrementAndGet()));
        String id = enqueue("email");
        engine.pollOnce();
        clock.advance(Duration.ofSeconds(31));
        queue.claim(Set.of("email"), "worker-2").orElseThrow();

        engine.keepOnce();

        assertThat(count(SupervisorMetrics.LEASE_LOSSES, "type", "email")).isEqualTo(1);
        assertThat(finished("email", "lease_lost")).isEqualTo(1);
        assertThat(engine.inFlight()).isZero();
        enqueue("email");
        assertThat(engine.pollOnce().claimed()).isEqualTo(1);
        executor.runAll();
        assertThat(ran).as("only the second job ran").hasValue(1);
        assertThat(entry(id).workerId()).isEqualTo("worker-2");
    }

    @Test
    void anExtremeTimeOutNeverOverflowsIntoFiring() {
        AtomicInteger ran = new AtomicInteger();
        Engine engine = engine(1, handle("email", job -> ran.incrementAndGet(),
                HandlerOptions.builder().timeout(Duration.ofDays(7)).build()));
        enqueue("email");
        engine.pollOnce();

        ticker.advance(Duration.ofNanos(Long.MIN_VALUE + 2_000_000_000L)); // a start far "after" now
        engine.keepOnce();

        assertThat(engine.inFlight()).as("not timed out").isEqualTo(1);
        executor.runAll();
        assertThat(ran).hasValue(1);
        assertThat(finished("email", "timeout")).isZero();
    }

    // ------------------------------------------------------------------ liveness

    @Test
    void loopsAreAliveExactlyWhileTheirLastRoundIsWithinTheStall() {
        Engine.Settings settings = new Engine.Settings("live", "worker-1", 2, 1, 32, 0, Duration.ofHours(1),
                Duration.ofHours(2), Duration.ZERO, registry, io.micrometer.observation.ObservationRegistry.NOOP);
        Engine engine = new Engine(queue, List.of(handle("email", job -> { })), settings, ticker, executor);
        engines.add(engine);
        engine.start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> faulty.claimCalls.get() >= 1); // then it sleeps an hour

        ticker.advance(Duration.ofMinutes(1));

        assertThat(engine.loopsAlive(Duration.ofMinutes(1))).as("exactly the stall").isTrue();
        assertThat(engine.loopsAlive(Duration.ofMinutes(1).minusNanos(1))).as("the poller's round is older").isFalse();
    }

    // ------------------------------------------------------------------ shutdown

    @Test
    void aJobStillRunningAtShutdownIsInterruptedAndTheHandlersCapMakesItsAttemptTheLast() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        Engine engine = engine(2, handle("report", job -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        }, HandlerOptions.builder().maxAttempts(1).build()));
        String id = queue.enqueue(JobRequest.builder("report").payload("x").maxAttempts(5).build()).id();
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        engines.remove(engine);
        engine.stop(); // drain time-out zero

        worker.join(10_000);
        assertThat(worker.isAlive()).isFalse();
        assertThat(interrupted).as("the handler was interrupted").isTrue();
        assertThat(engine.inFlight()).isZero();
        assertThat(entry(id).state()).as("the handler's cap of one attempt").isEqualTo(JobState.DEAD);
        assertThat(finished("report", "abandoned")).isEqualTo(1);
    }

    @Test
    void aJobThatFinishesWithinTheDrainTimeOutCompletes() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch mayReturn = new CountDownLatch(1);
        Engine engine = engine(2, 32, executor, Duration.ofSeconds(20), handle("report", job -> {
            started.countDown();
            mayReturn.await();
        }));
        String id = enqueue("report");
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        engines.remove(engine);
        Thread stopper = new Thread(engine::stop);
        stopper.start();
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> stopper.getState() == Thread.State.TIMED_WAITING);
        mayReturn.countDown();
        stopper.join(15_000);

        assertThat(stopper.isAlive()).isFalse();
        assertThat(queue.get(id)).as("done, not abandoned").isEmpty();
        assertThat(finished("report", "success")).isEqualTo(1);
        assertThat(finished("report", "abandoned")).isZero();
    }

    @Test
    void stopEndsTheKeeperThreadBeforeItReturns() throws Exception {
        Engine.Settings settings = new Engine.Settings("stop", "worker-1", 2, 1, 32, 0, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, registry, io.micrometer.observation.ObservationRegistry.NOOP);
        Engine engine = new Engine(queue, List.of(handle("email", job -> { })), settings, ticker, executor);
        engine.start();
        Thread keeper = (Thread) field(engine, "keeperThread");
        assertThat(keeper.isAlive()).isTrue();

        engine.stop();

        assertThat(keeper.isAlive()).isFalse();
    }
}
