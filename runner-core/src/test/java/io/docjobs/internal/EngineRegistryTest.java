package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.HandlerOptions;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.ManualQueues;
import io.docjobs.NonRetryableException;
import io.docjobs.SupervisorInfo;
import io.docjobs.SupervisorInfo.Status;
import io.docjobs.mongo.MongoQueues;
import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The supervisor registry, driven by a stepped engine: one write per step, time from a manual
 * database clock, handlers run when the test says so.
 */
@Timeout(30)
class EngineRegistryTest {
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private static final Duration INTERVAL = Duration.ofSeconds(10);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));
    private final ManualExecutor executor = new ManualExecutor();
    private final AtomicBoolean registryDown = new AtomicBoolean();
    private final AtomicInteger writes = new AtomicInteger();
    private JobQueue queue;
    private Engine engine;
    private boolean stopped;

    @BeforeEach
    void startEngine() {
        queue = queues.open(clock);
        Engine.Registry store = MongoQueues.registry(queue);
        Engine.Registry registry = beat -> {
            if (registryDown.get()) {
                throw new IllegalStateException("registry unreachable");
            }
            writes.incrementAndGet();
            store.write(beat);
        };
        Engine.Settings settings = new Engine.Settings("billing", "worker-1", 4, 1, 32, 0, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, new SimpleMeterRegistry(), ObservationRegistry.NOOP);
        engine = new Engine(queue, List.of(
                new Registration("email", job -> {
                    if (job.payload().startsWith("fail")) {
                        throw job.payload().equals("fail-hard") ? new NonRetryableException("bad address")
                                : new IllegalStateException("smtp down");
                    }
                }, HandlerOptions.builder().backoff(io.docjobs.Backoff.fixed(Duration.ZERO)).build()),
                new Registration("sms", job -> { }, HandlerOptions.DEFAULTS)),
                settings, new ManualTicker(), executor);
        engine.registry(registry, INTERVAL, "host-a", "1.2.3");
        engine.startStepping();
    }

    @AfterEach
    void stopEngine() {
        if (!stopped) {
            engine.stop();
        }
    }

    private SupervisorInfo only() {
        List<SupervisorInfo> all = queue.supervisors();
        assertThat(all).hasSize(1);
        return all.get(0);
    }

    private void enqueue(String payload) {
        queue.enqueue(JobRequest.builder("email").payload(payload).build());
    }

    @Test
    void eachStepWritesTheDocumentOnceWithTheSupervisorsIdentityAndDatabaseTime() {
        Instant start = clock.instant();
        assertThat(engine.registryOnce()).isTrue();
        clock.advance(INTERVAL);
        assertThat(engine.registryOnce()).isTrue();

        SupervisorInfo info = only();
        assertThat(writes).hasValue(2);
        assertThat(info.id()).isEqualTo("worker-1");
        assertThat(info.name()).isEqualTo("billing");
        assertThat(info.host()).isEqualTo("host-a");
        assertThat(info.version()).isEqualTo("1.2.3");
        assertThat(info.types()).containsExactly("email", "sms");
        assertThat(info.workers()).isEqualTo(4);
        assertThat(info.interval()).isEqualTo(INTERVAL);
        assertThat(info.startedAt()).as("set by the first write only").isEqualTo(start);
        assertThat(info.lastSeen()).isEqualTo(start.plus(INTERVAL));
        assertThat(info.stoppedAt()).isNull();
        assertThat(info.status()).isEqualTo(Status.ALIVE);
        assertThat(info.heldLeases()).isEmpty();
    }

    @Test
    void countsWhatTheSupervisorDidAndHowLongJobsWaited() {
        enqueue("ok");
        enqueue("fail");
        enqueue("fail-hard");
        clock.advance(Duration.ofSeconds(4));
        assertThat(engine.pollOnce().claimed()).isEqualTo(3);
        assertThat(engine.registryOnce()).isTrue();
        assertThat(only().inFlight()).as("claimed, handlers not run yet").isEqualTo(3);

        executor.runAll();
        engine.registryOnce();

        SupervisorInfo.Counts counts = only().counts();
        assertThat(only().inFlight()).isZero();
        assertThat(counts.claimed()).isEqualTo(3);
        assertThat(counts.succeeded()).isEqualTo(1);
        assertThat(counts.retried()).isEqualTo(1);
        assertThat(counts.deadLettered()).isEqualTo(1);
        assertThat(counts.queueWaitCount()).isEqualTo(3);
        assertThat(counts.queueWaitMillis()).isEqualTo(3 * 4_000);
        assertThat(counts.meanQueueWait()).isEqualTo(Duration.ofSeconds(4));
        assertThat(counts.registryErrors()).isZero();
    }

    @Test
    void aFailingRegistryWriteIsCountedAndNeverStopsTheWork() {
        engine.registryOnce();
        registryDown.set(true);
        enqueue("ok");

        assertThat(engine.registryOnce()).isFalse();
        assertThat(engine.registryOnce()).isFalse();
        assertThat(engine.pollOnce().claimed()).isEqualTo(1);
        executor.runAll();
        assertThat(engine.registryFailures()).isEqualTo(2);

        registryDown.set(false);
        clock.advance(INTERVAL);
        assertThat(engine.registryOnce()).isTrue();
        assertThat(only().counts().registryErrors()).isEqualTo(2);
        assertThat(only().counts().succeeded()).isEqualTo(1);
        assertThat(only().lastSeen()).isEqualTo(clock.instant());
    }

    @Test
    void aSupervisorThatStopsWritingIsGoneAfterThreeIntervalsWithTheLeasesItHolds() {
        enqueue("ok");
        enqueue("ok");
        engine.registryOnce();
        engine.pollOnce();

        clock.advance(INTERVAL.multipliedBy(SupervisorInfo.MISSED_INTERVALS));
        assertThat(only().status()).as("three intervals late is still alive").isEqualTo(Status.ALIVE);
        assertThat(only().heldLeases()).isEmpty();

        clock.advance(Duration.ofMillis(1));
        SupervisorInfo gone = only();
        assertThat(gone.status()).isEqualTo(Status.GONE);
        assertThat(gone.heldLeaseCount()).isEqualTo(2);
        assertThat(gone.heldLeases()).containsExactlyInAnyOrderElementsOf(
                queue.jobs(io.docjobs.JobQuery.newest().withState(io.docjobs.JobState.LEASED)).entries().stream()
                        .map(io.docjobs.JobEntry::id).toList());

        engine.registryOnce();
        assertThat(only().status()).as("writing again").isEqualTo(Status.ALIVE);
    }

    @Test
    void stopWritesTheDocumentOnceMoreMarkedStoppedAndARestartClearsIt() {
        engine.registryOnce();
        clock.advance(Duration.ofSeconds(1));

        engine.stop();
        stopped = true;

        SupervisorInfo info = only();
        assertThat(writes).hasValue(2);
        assertThat(info.status()).isEqualTo(Status.STOPPED);
        assertThat(info.stoppedAt()).isEqualTo(clock.instant());
        clock.advance(Duration.ofDays(1));
        assertThat(only().status()).as("stopped, never gone").isEqualTo(Status.STOPPED);

        Engine.Settings settings = new Engine.Settings("billing", "worker-1", 1, 1, 32, 0, Duration.ofMillis(10),
                Duration.ofMillis(100), Duration.ZERO, new SimpleMeterRegistry(), ObservationRegistry.NOOP);
        Engine restarted = new Engine(queue, List.of(new Registration("email", job -> { }, HandlerOptions.DEFAULTS)),
                settings, new ManualTicker(), executor);
        restarted.registry(MongoQueues.registry(queue), INTERVAL, "host-b", "1.2.4");
        restarted.startStepping();
        restarted.registryOnce();
        SupervisorInfo again = only();
        assertThat(again.status()).isEqualTo(Status.ALIVE);
        assertThat(again.startedAt()).isEqualTo(clock.instant());
        assertThat(again.host()).isEqualTo("host-b");
        assertThat(again.counts().claimed()).isZero();
        restarted.stop();
    }
}
