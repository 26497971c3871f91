package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.AdminResult;
import io.docjobs.HandlerOptions;
import io.docjobs.JobHandler;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import io.docjobs.ManualQueues;
import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An operator's cancellation of a claimed job ({@code JobAdmin.cancel}), with the engine stepped by
 * hand: the next heartbeat finds the request, the handler sees {@code isCancelled()} and is
 * interrupted, its result is discarded, and the entry ends as cancelled, neither retried nor
 * dead-lettered. A job claimed ahead and still waiting for a handler slot never starts.
 */
@Timeout(30)
class EngineCancelTest {
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private final ManualTicker ticker = new ManualTicker();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));
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

    private Engine engine(int workers, int prefetch, Executor pool, JobHandler handler) {
        Engine.Settings settings = new Engine.Settings("test", "worker-1", workers, 1, 32, prefetch, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, registry, io.micrometer.observation.ObservationRegistry.NOOP);
        Engine engine = new Engine(queue, List.of(new Registration("email", handler, HandlerOptions.DEFAULTS)), settings,
                ticker, pool, ClaimDepth.fixed(prefetch));
        engine.startStepping();
        engines.add(engine);
        return engine;
    }

    private String enqueue(int priority) {
        return queue.enqueue(JobRequest.builder("email").payload("x").priority(priority).build()).id();
    }

    private double finished(String outcome) {
        var counter = registry.find("docjobs.jobs.finished").tag("type", "email").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Past a third of the default 30 s visibility timeout: the next heartbeat extends. */
    private void untilTheNextExtensionIsDue() {
        clock.advance(Duration.ofSeconds(11));
        ticker.advance(Duration.ofSeconds(11));
    }

    @Test
    void aRunningJobSeesItsCancellationAtTheNextHeartbeatAndEndsCancelledNotRetried() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean cancelledBefore = new AtomicBoolean(true);
        AtomicBoolean cancelledAfter = new AtomicBoolean();
        AtomicBoolean extendedAfter = new AtomicBoolean(true);
        Engine engine = engine(1, 0, executor, job -> {
            cancelledBefore.set(job.isCancelled());
            started.countDown();
            try {
                new CountDownLatch(1).await(); // works until interrupted
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
            cancelledAfter.set(job.isCancelled());
            extendedAfter.set(job.extendLease(Duration.ofMinutes(1)));
            throw new IllegalStateException("stopped half way"); // a failure, discarded like any result
        });
        String id = enqueue(0);
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();

        assertThat(queue.cancel(id, "ops").status()).isEqualTo(AdminResult.Status.CANCEL_REQUESTED);
        engine.keepOnce();
        assertThat(interrupted).as("no extension was due: the request is not seen yet").isFalse();

        untilTheNextExtensionIsDue();
        engine.keepOnce();
        worker.join(5_000);

        assertThat(cancelledBefore).isFalse();
        assertThat(interrupted).as("the handler is interrupted").isTrue();
        assertThat(cancelledAfter).as("and sees isCancelled()").isTrue();
        assertThat(extendedAfter).as("its lease is no longer the handler's").isFalse();
        assertThat(queue.get(id)).as("ended as cancelled: gone, not released for a retry").isEmpty();
        assertThat(finished("cancelled")).isEqualTo(1);
        assertThat(finished("retry") + finished("dead") + finished("success")).as("its result was discarded").isZero();
        assertThat(engine.inFlight()).isZero();
        enqueue(0);
        assertThat(engine.pollOnce().claimed()).as("the slot came back").isEqualTo(1);
    }

    @Test
    void aHandlerThatIgnoresTheInterruptGivesItsSlotBackAndItsLateResultCountsForNothing() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch mayReturn = new CountDownLatch(1);
        AtomicBoolean sawCancelled = new AtomicBoolean();
        Engine engine = engine(1, 0, executor, job -> {
            started.countDown();
            while (mayReturn.getCount() > 0) {
                try {
                    mayReturn.await();
                } catch (InterruptedException e) {
                    sawCancelled.set(job.isCancelled()); // and carries on regardless
                }
            }
        });
        String id = enqueue(0);
        engine.pollOnce();
        Thread worker = new Thread(executor::runAll);
        worker.start();
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        queue.cancel(id, "ops");

        untilTheNextExtensionIsDue();
        engine.keepOnce();

        Awaitility.await().atMost(Duration.ofSeconds(5)).untilTrue(sawCancelled);
        assertThat(queue.get(id)).as("ended at the heartbeat, not when the handler returns").isEmpty();
        mayReturn.countDown();
        worker.join(5_000);
        assertThat(finished("cancelled")).isEqualTo(1);
        assertThat(finished("success")).as("the late return completed nothing").isZero();
        assertThat(engine.inFlight()).isZero();
    }

    @Test
    void aJobClaimedAheadWhoseCancellationArrivesWhileItWaitsNeverStarts() {
        List<String> ran = new CopyOnWriteArrayList<>();
        Engine engine = engine(1, 1, executor, job -> ran.add(job.id()));
        String first = enqueue(2);
        String ahead = enqueue(1);
        assertThat(engine.pollOnce().claimed()).isEqualTo(2);
        assertThat(executor.pending()).as("one runs, one waits for the slot").isEqualTo(1);

        assertThat(queue.cancel(ahead, "ops").status()).isEqualTo(AdminResult.Status.CANCEL_REQUESTED);
        untilTheNextExtensionIsDue();
        engine.keepOnce();
        executor.runAll();
        executor.runAll();

        assertThat(ran).containsExactly(first);
        assertThat(queue.get(ahead)).isEmpty();
        assertThat(queue.get(first)).isEmpty();
        assertThat(finished("cancelled")).isEqualTo(1);
        assertThat(finished("success")).isEqualTo(1);
        assertThat(engine.inFlight()).isZero();
    }

    @Test
    void otherJobsInTheSameHeartbeatKeepTheirLeases() {
        Engine engine = engine(2, 0, executor, job -> { });
        String kept = enqueue(2);
        String cancelled = enqueue(1);
        engine.pollOnce();
        queue.cancel(cancelled, "ops");

        untilTheNextExtensionIsDue();
        engine.keepOnce();

        assertThat(queue.get(cancelled)).isEmpty();
        assertThat(queue.get(kept).orElseThrow().state()).isEqualTo(JobState.LEASED);
        assertThat(queue.get(kept).orElseThrow().visibleAt()).as("extended").isEqualTo(clock.instant().plusSeconds(30));
        executor.runAll();
        assertThat(queue.get(kept)).as("and completes").isEmpty();
        assertThat(finished("success")).isEqualTo(1);
    }
}
