package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The supervisor on the embedded server, with real threads and the real clock; Awaitility for waiting. */
class SupervisorTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private JobQueue queue;
    private String collection;

    @BeforeEach
    void openQueue() {
        collection = mongo.freshCollection();
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).build());
    }

    @AfterEach
    void closeAll() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
    }

    private Supervisor.Builder supervisor() {
        return Supervisor.builder(queue).meterRegistry(registry).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
                .drainTimeout(Duration.ofSeconds(5));
    }

    private Supervisor started(Supervisor.Builder builder) {
        Supervisor supervisor = builder.build();
        toClose.add(supervisor);
        return supervisor.start();
    }

    private double count(String name, String... tags) {
        var search = registry.find(name).tags(tags);
        return search.counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private String enqueue(String type, String payload, int maxAttempts) {
        return queue.enqueue(JobRequest.builder(type).payload(payload).maxAttempts(maxAttempts).build()).id();
    }

    @Test
    void dispatchesEachJobToTheHandlerOfItsType() {
        Map<String, String> seen = new ConcurrentHashMap<>();
        for (int i = 0; i < 20; i++) {
            queue.enqueue(i % 2 == 0 ? "email" : "sms", "job-" + i, Duration.ofSeconds(30));
        }

        started(supervisor()
                .handle("email", job -> seen.put(job.payload(), "email:" + job.type()))
                .handle("sms", job -> seen.put(job.payload(), "sms:" + job.type())));

        await().atMost(Duration.ofSeconds(20)).until(() -> seen.size() == 20);
        seen.forEach((payload, handledBy) -> assertThat(handledBy)
                .isEqualTo(Integer.parseInt(payload.substring(4)) % 2 == 0 ? "email:email" : "sms:sms"));
        // The outcome is counted just after the entry is deleted: wait for both.
        await().atMost(Duration.ofSeconds(5)).until(() -> queue.stats().byType().isEmpty()
                && count("docjobs.jobs.finished") == 20);
        assertThat(count("docjobs.jobs.finished", "outcome", "success")).isEqualTo(20);
        assertThat(count("docjobs.jobs.claimed")).isEqualTo(20);
        assertThat(registry.find("docjobs.handler.duration").tag("type", "email").timer().count()).isEqualTo(10);
        assertThat(registry.find("docjobs.queue.wait").tag("type", "sms").timer().count()).isEqualTo(10);
    }

    @Test
    void neverClaimsATypeItHasNoHandlerFor() {
        String orphan = queue.enqueue("unknown.type", "x", Duration.ofSeconds(30));
        queue.enqueue("email", "y", Duration.ofSeconds(30));
        AtomicInteger handled = new AtomicInteger();

        started(supervisor().handle("email", job -> handled.incrementAndGet()));

        await().atMost(Duration.ofSeconds(10)).until(() -> handled.get() == 1);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> queue.get(orphan).orElseThrow().attempts() == 0);
        assertThat(queue.get(orphan).orElseThrow().state()).isEqualTo(JobState.READY);
    }

    @Test
    void heartbeatsKeepALongJobAwayFromOtherSupervisorsUntilItCompletesOnce() {
        Duration vt = Duration.ofMillis(500);
        String id = queue.enqueue("report", "long", vt);
        CountDownLatch finish = new CountDownLatch(1);
        AtomicInteger executions = new AtomicInteger();
        JobHandler slow = job -> {
            executions.incrementAndGet();
            finish.await();
        };
        started(supervisor().name("first").handle("report", slow));
        await().atMost(Duration.ofSeconds(5)).until(() -> executions.get() == 1);
        Instant firstDeadline = queue.get(id).orElseThrow().visibleAt();

        MeterRegistry otherRegistry = new SimpleMeterRegistry();
        started(Supervisor.builder(queue).name("second").meterRegistry(otherRegistry)
                .idleBackoff(Duration.ofMillis(10), Duration.ofMillis(50)).handle("report", slow));

        // Four visibility timeouts pass; the second supervisor polls all along and never gets the job.
        await().during(vt.multipliedBy(4)).atMost(vt.multipliedBy(6)).until(() -> executions.get() == 1);
        assertThat(queue.get(id).orElseThrow().visibleAt()).isAfter(firstDeadline.plus(vt.multipliedBy(3)));
        assertThat(otherRegistry.find("docjobs.polls").tag("result", "empty").counter().count()).isGreaterThan(5);

        finish.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> queue.get(id).isEmpty() && count("docjobs.jobs.finished") == 1);
        assertThat(executions.get()).isEqualTo(1);
        assertThat(registry.find("docjobs.lease.extensions").counter().count()).isGreaterThanOrEqualTo(5);
        assertThat(count("docjobs.jobs.finished", "outcome", "success")).isEqualTo(1);
        assertThat(count("docjobs.lease.losses")).isZero();
    }

    @Test
    void handlerThatLostItsLeaseIsInterruptedAndCannotCompleteTheJob() {
        ManualClock clock = new ManualClock(Instant.now());
        JobQueue manualQueue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).build());
        String id = manualQueue.enqueue("email", "x", Duration.ofSeconds(30));
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean sawLost = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        queue = manualQueue;
        started(supervisor().handle("email", job -> {
            started.countDown();
            try {
                new CountDownLatch(1).await(); // works until interrupted
            } catch (InterruptedException e) {
                interrupted.set(true);
                sawLost.set(job.isLeaseLost());
            }
        }));
        await().atMost(Duration.ofSeconds(5)).until(() -> started.getCount() == 0);

        // The lease expires (the clock jumps past it) and another worker claims the entry.
        Lease other = await().atMost(Duration.ofSeconds(10)).until(() -> {
            clock.advance(Duration.ofMinutes(1));
            return manualQueue.claim(Set.of("email"), "other-worker");
        }, Optional::isPresent).orElseThrow();

        await().atMost(Duration.ofSeconds(5)).until(interrupted::get);
        assertThat(sawLost).isTrue();
        assertThat(count("docjobs.jobs.finished", "outcome", "lease_lost")).isEqualTo(1);
        JobEntry entry = manualQueue.get(id).orElseThrow();
        assertThat(entry.state()).isEqualTo(JobState.LEASED);
        assertThat(entry.workerId()).isEqualTo("other-worker");
        assertThat(manualQueue.done(other)).isTrue();
    }

    @Test
    void failuresAreRetriedWithGrowingBackoffThenDeadLetteredWithTheError() {
        String id = enqueue("flaky", "x", 3);
        List<Long> attemptNanos = new CopyOnWriteArrayList<>();
        HandlerOptions options = HandlerOptions.builder()
                .backoff(Backoff.exponential().initial(Duration.ofMillis(200)).jitter(0).max(Duration.ofSeconds(5))).build();

        started(supervisor().handle("flaky", job -> {
            attemptNanos.add(System.nanoTime());
            throw new IllegalStateException("upstream said no (attempt " + job.attempt() + ")");
        }, options));

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(id).map(JobEntry::state).orElse(null) == JobState.DEAD);
        assertThat(attemptNanos).hasSize(3);
        long firstGap = attemptNanos.get(1) - attemptNanos.get(0);
        long secondGap = attemptNanos.get(2) - attemptNanos.get(1);
        assertThat(Duration.ofNanos(firstGap)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
        assertThat(Duration.ofNanos(secondGap)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        JobEntry dead = queue.get(id).orElseThrow();
        assertThat(dead.lastError().message()).isEqualTo("upstream said no (attempt 3)");
        assertThat(dead.lastError().exceptionClass()).isEqualTo(IllegalStateException.class.getName());
        assertThat(dead.lastError().attempt()).isEqualTo(3);
        assertThat(count("docjobs.jobs.finished", "outcome", "retry")).isEqualTo(2);
        assertThat(count("docjobs.jobs.finished", "outcome", "dead")).isEqualTo(1);
    }

    @Test
    void nonRetryableFailuresAndMalformedPayloadsAreDeadLetteredAtOnce() {
        String configured = enqueue("strict", "bad input", 5);
        String marked = enqueue("marked", "x", 5);
        String malformed = enqueue("json", "{not json", 5);
        HandlerOptions strict = HandlerOptions.builder().nonRetryable(IllegalArgumentException.class).build();

        started(supervisor()
                .handle("strict", job -> {
                    throw new RuntimeException("wrapped", new IllegalArgumentException("no such customer"));
                }, strict)
                .handle("marked", job -> {
                    throw new NonRetryableException("cannot ever work");
                })
                .handle("json", job -> job.payloadDocument()));

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.stats().dead() == 3);
        assertThat(List.of(configured, marked, malformed)).allSatisfy(id ->
                assertThat(queue.get(id).orElseThrow().attempts()).as("dead after one attempt").isEqualTo(1));
        assertThat(queue.get(malformed).orElseThrow().lastError().message()).contains("not a JSON object");
    }

    @Test
    void timedOutJobIsInterruptedReleasedAndFreesItsSlot() {
        String hanging = enqueue("hang", "x", 1);
        CountDownLatch unstick = new CountDownLatch(1);
        AtomicInteger quickDone = new AtomicInteger();
        HandlerOptions twoHundredMs = HandlerOptions.builder().timeout(Duration.ofMillis(200)).build();

        started(supervisor().workers(1)
                .handle("hang", job -> {
                    // Ignores interrupts: the slot must be freed anyway.
                    while (unstick.getCount() > 0) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                    }
                }, twoHundredMs)
                .handle("quick", job -> quickDone.incrementAndGet()));
        await().atMost(Duration.ofSeconds(5)).until(() -> queue.get(hanging).map(JobEntry::state).orElse(null) != JobState.READY);
        queue.enqueue("quick", "y", Duration.ofSeconds(30));

        await().atMost(Duration.ofSeconds(10)).until(() -> quickDone.get() == 1);
        JobEntry entry = queue.get(hanging).orElseThrow();
        assertThat(entry.state()).isEqualTo(JobState.DEAD);
        assertThat(entry.lastError().message()).contains("time-out of PT0.2S");
        assertThat(count("docjobs.jobs.finished", "outcome", "timeout")).isEqualTo(1);
        assertThat(registry.find("docjobs.handlers.stuck").gauge().value()).isEqualTo(1);
        unstick.countDown();
        await().atMost(Duration.ofSeconds(5)).until(() -> registry.find("docjobs.handlers.stuck").gauge().value() == 0);
    }

    @Test
    void perTypeConcurrencyLimitIsNeverExceeded() {
        AtomicInteger current = new AtomicInteger();
        AtomicInteger highest = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        List<JobRequest> jobs = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            jobs.add(JobRequest.builder(i % 3 == 0 ? "free" : "limited").payload("p" + i).build());
        }
        queue.enqueueAll(jobs);

        started(supervisor().workers(6)
                .handle("limited", job -> {
                    highest.accumulateAndGet(current.incrementAndGet(), Math::max);
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30)); // the work
                    current.decrementAndGet();
                    done.incrementAndGet();
                }, HandlerOptions.builder().concurrency(2).build())
                .handle("free", job -> {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
                    done.incrementAndGet();
                }));

        await().atMost(Duration.ofSeconds(20)).until(() -> done.get() == 24);
        assertThat(highest.get()).isEqualTo(2);
    }

    /**
     * Defect: with every handled type at its concurrency limit, the poller handed its slots back,
     * which woke itself, and burned a whole core while the limited jobs ran.
     */
    @Test
    void aPollerWhoseTypesAreAllAtTheirLimitCostsNoCpu() {
        CountDownLatch finish = new CountDownLatch(1);
        AtomicInteger running = new AtomicInteger();
        for (int i = 0; i < 4; i++) {
            queue.enqueue("limited", "x" + i, Duration.ofSeconds(30));
        }
        started(supervisor().name("spin").workers(16).handle("limited", job -> {
            running.incrementAndGet();
            finish.await();
        }, HandlerOptions.builder().concurrency(2).build()));
        await().atMost(Duration.ofSeconds(5)).until(() -> running.get() == 2);
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long poller = Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> thread.getName().equals("docjobs-spin-poller-1")).findFirst().orElseThrow().getId();
        long cpuBefore = threads.getThreadCpuTime(poller);

        // For 600 ms of two jobs running at their limit, the poller stays (almost) idle: a spinning
        // one burns most of that.
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(3))
                .until(() -> threads.getThreadCpuTime(poller) - cpuBefore < TimeUnit.MILLISECONDS.toNanos(60));
        assertThat(running).hasValue(2);

        finish.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> queue.stats().byType().isEmpty());
        assertThat(running).as("a freed slot wakes the poller for the rest").hasValue(4);
    }

    @Test
    void closeDrainsRunningJobsThenHandsBackTheRestUnfinished() throws Exception {
        String finishing = queue.enqueue("finishing", "a", Duration.ofSeconds(30));
        String hanging = queue.enqueue("hanging", "b", Duration.ofSeconds(30));
        CountDownLatch bothStarted = new CountDownLatch(2);
        CountDownLatch mayFinish = new CountDownLatch(1);
        AtomicBoolean hangingInterrupted = new AtomicBoolean();
        // The drain is long enough for the test to see STOPPING and let the first job finish, even
        // on a loaded machine; the hanging job keeps the drain going until its end.
        Supervisor supervisor = started(supervisor().drainTimeout(Duration.ofSeconds(2))
                .handle("finishing", job -> {
                    bothStarted.countDown();
                    mayFinish.await();
                })
                .handle("hanging", job -> {
                    bothStarted.countDown();
                    try {
                        new CountDownLatch(1).await();
                    } catch (InterruptedException e) {
                        hangingInterrupted.set(true);
                    }
                }));
        assertThat(bothStarted.await(5, TimeUnit.SECONDS)).isTrue();

        Thread closer = new Thread(supervisor::close);
        closer.start();
        await().atMost(Duration.ofSeconds(2)).until(() -> supervisor.state() == Supervisor.State.STOPPING);
        mayFinish.countDown();
        closer.join(10_000);

        assertThat(supervisor.state()).isEqualTo(Supervisor.State.TERMINATED);
        assertThat(queue.get(finishing)).as("finished within the drain time: done").isEmpty();
        JobEntry handedBack = queue.get(hanging).orElseThrow();
        assertThat(handedBack.state()).as("never done while unfinished").isEqualTo(JobState.READY);
        assertThat(handedBack.attempts()).as("the interrupted attempt counts: a handler that never finishes"
                + " must end dead, not run forever across restarts").isEqualTo(1);
        assertThat(handedBack.lastError().message()).contains("still running when its worker shut down");
        await().atMost(Duration.ofSeconds(5)).untilTrue(hangingInterrupted); // set on the handler's thread
        assertThat(queue.claim(Set.of("hanging"), "next")).as("claimable at once").isPresent();
        assertThat(count("docjobs.jobs.finished", "outcome", "abandoned")).isEqualTo(1);
    }

    @Test
    void throwingAndHangingHandlersDoNotStopOtherJobs() {
        AtomicInteger good = new AtomicInteger();
        for (int i = 0; i < 10; i++) {
            queue.enqueue("good", "g" + i, Duration.ofSeconds(30));
        }
        String throwing = enqueue("error", "e", 1);
        String hanging = enqueue("hang", "h", 1);
        CountDownLatch release = new CountDownLatch(1);
        toClose.add(release::countDown);
        AtomicBoolean hangInterrupted = new AtomicBoolean();

        started(supervisor().workers(2)
                .handle("error", job -> {
                    throw new AssertionError("an Error, not an Exception");
                })
                .handle("hang", job -> {
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        hangInterrupted.set(true);
                        throw e;
                    }
                }, HandlerOptions.builder().timeout(Duration.ofMillis(300)).build())
                .handle("good", job -> good.incrementAndGet()));

        await().atMost(Duration.ofSeconds(15)).until(() -> good.get() == 10);
        await().atMost(Duration.ofSeconds(5)).until(() -> count("docjobs.jobs.finished") == 12);

        JobEntry thrown = queue.get(throwing).orElseThrow();
        assertThat(thrown.state()).isEqualTo(JobState.DEAD);
        assertThat(thrown.lastError().message()).isEqualTo("an Error, not an Exception");
        assertThat(thrown.lastError().exceptionClass()).isEqualTo(AssertionError.class.getName());
        JobEntry timedOut = queue.get(hanging).orElseThrow();
        assertThat(timedOut.state()).isEqualTo(JobState.DEAD);
        assertThat(timedOut.lastError().message()).isEqualTo("job exceeded its time-out of PT0.3S");
        assertThat(timedOut.lastError().exceptionClass()).isEqualTo(TimeoutException.class.getName());
        await().atMost(Duration.ofSeconds(5)).untilTrue(hangInterrupted);

        assertThat(count("docjobs.jobs.finished", "type", "good", "outcome", "success")).isEqualTo(10);
        assertThat(count("docjobs.jobs.finished", "type", "error", "outcome", "dead")).isEqualTo(1);
        assertThat(count("docjobs.jobs.finished", "type", "hang", "outcome", "timeout")).isEqualTo(1);
        assertThat(count("docjobs.jobs.finished")).as("nothing else").isEqualTo(12);
        assertThat(queue.stats().forType("good").unfinished()).as("every good job completed").isZero();
        assertThat(queue.stats().forType("good").dead()).isZero();
    }

    /**
     * An idle supervisor's polls: after each empty one it waits, doubling from the minimum up to
     * the cap (with jitter: at least half of each). Measured from the end of one claim to the start
     * of the next, so slow claims on a busy machine cannot pass for waiting.
     */
    @Test
    void anIdleSupervisorsPollsBackOffDoublingUpToTheCap() {
        Duration min = Duration.ofMillis(10);
        Duration max = Duration.ofMillis(160);
        // A busy machine may wake a poller late, never early.
        Duration lateness = Duration.ofSeconds(2);
        int rounds = 12;
        List<long[]> claims = new CopyOnWriteArrayList<>();
        JobQueue quiet = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection)
                .changeStreams(false).build()); // no wake-ups: only the back-off decides
        started(Supervisor.builder(timingClaims(quiet, claims)).meterRegistry(registry).idleBackoff(min, max)
                .depthRefresh(Duration.ZERO).handle("email", job -> { }));

        await().atMost(Duration.ofSeconds(30)).until(() -> claims.size() > rounds);

        for (int k = 1; k <= rounds; k++) {
            long waited = claims.get(k)[0] - claims.get(k - 1)[1];
            long full = Math.min(max.toNanos(), min.toNanos() << k);
            assertThat(Duration.ofNanos(waited)).as("wait after empty poll %d", k)
                    .isGreaterThanOrEqualTo(Duration.ofNanos(full / 2))
                    .isLessThanOrEqualTo(Duration.ofNanos(full).plus(lateness));
        }
        assertThat(count("docjobs.polls", "result", "empty")).isGreaterThanOrEqualTo(rounds);
        assertThat(count("docjobs.polls", "result", "hit")).isZero();
    }

    /** {@code real}, recording the start and end ({@link System#nanoTime()}) of every claim call. */
    private static JobQueue timingClaims(JobQueue real, List<long[]> claims) {
        return (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(), new Class<?>[] {JobQueue.class},
                (proxy, method, args) -> {
                    boolean claim = method.getName().startsWith("claim");
                    long start = System.nanoTime();
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (claim) {
                            claims.add(new long[] {start, System.nanoTime()});
                        }
                    }
                });
    }

    @Test
    void aRunningSupervisorPublishesQueueDepthUntilItIsClosed() {
        for (int i = 0; i < 3; i++) {
            queue.enqueue("waiting", "w" + i, Duration.ofSeconds(30));
        }
        queue.enqueue(JobRequest.builder("waiting").payload("later").delay(Duration.ofHours(1)).build());
        String refresherName = "docjobs-queue-metrics-" + queue.name();

        Supervisor supervisor = started(supervisor().depthRefresh(Duration.ofMillis(50)).handle("email", job -> { }));

        // Gauges for every type in the queue, handled here or not (exact values: QueueMetricsTest).
        await().atMost(Duration.ofSeconds(5)).until(() -> depth("ready") == 3 && depth("delayed") == 1);
        queue.enqueue("waiting", "w4", Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(5)).until(() -> depth("ready") == 4);
        assertThat(Thread.getAllStackTraces().keySet()).anyMatch(thread -> thread.getName().equals(refresherName));

        supervisor.close();

        await().atMost(Duration.ofSeconds(5)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(thread -> thread.getName().equals(refresherName)));
    }

    /** The depth gauge of type "waiting" in {@code state}, or -1 while the first refresh has not registered it. */
    private double depth(String state) {
        Gauge gauge = registry.find("docjobs.queue.depth").tags("type", "waiting", "state", state).gauge();
        return gauge == null ? -1 : gauge.value();
    }

    @Test
    void aSupervisorNeedsOnlyTheConsumerSideAndThenPublishesNoQueueDepth() {
        // Only JobConsumer: no admin reads, so no depth gauges.
        JobConsumer consumerOnly = (JobConsumer) Proxy.newProxyInstance(JobConsumer.class.getClassLoader(),
                new Class<?>[] {JobConsumer.class}, (proxy, method, args) -> {
                    try {
                        return method.invoke(queue, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        String id = queue.enqueue("email", "hello", Duration.ofSeconds(30));
        List<String> seen = new CopyOnWriteArrayList<>();

        started(Supervisor.builder(consumerOnly).meterRegistry(registry).depthRefresh(Duration.ofMillis(50))
                .idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100)).handle("email", job -> seen.add(job.id())));

        await().atMost(Duration.ofSeconds(10)).until(() -> queue.get(id).isEmpty());
        assertThat(seen).containsExactly(id);
        assertThat(registry.find("docjobs.queue.depth").gauges()).isEmpty();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(thread -> thread.getName()
                .equals("docjobs-queue-metrics-" + queue.name()));
    }

    @Test
    void enqueueThroughTheSameQueueWakesAnIdlePollerAtOnce() {
        AtomicInteger handled = new AtomicInteger();
        // Back-off of 30 s: without the wake-up the job would wait that long.
        started(Supervisor.builder(queue).meterRegistry(registry)
                .idleBackoff(Duration.ofSeconds(30), Duration.ofSeconds(30)).handle("email", job -> handled.incrementAndGet()));
        await().atMost(Duration.ofSeconds(5)).until(() -> count("docjobs.polls", "result", "empty") >= 1);

        queue.enqueue("email", "wake up", Duration.ofSeconds(30));

        await().atMost(Duration.ofSeconds(5)).until(() -> handled.get() == 1);
    }

    @Test
    void buildReportsEveryInvalidSettingAtOnce() {
        assertThatThrownBy(() -> Supervisor.builder(queue).workers(0).pollers(0).maxBatch(0)
                .idleBackoff(Duration.ZERO, Duration.ofSeconds(1)).handle(" ", job -> { }).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("workers was 0")
                .hasMessageContaining("pollers was 0")
                .hasMessageContaining("maxBatch was 0")
                .hasMessageContaining("idleBackoff min was PT0S")
                .hasMessageContaining("handler type was \" \"");
        assertThatThrownBy(() -> Supervisor.builder(queue).build())
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("no handlers registered");
        assertThatThrownBy(() -> Supervisor.builder(queue).workers(2)
                .handle("a", job -> { }, HandlerOptions.builder().concurrency(3).build()).build())
                .hasMessageContaining("concurrency of type \"a\" was 3 but cannot exceed workers (2)");
    }
}
