package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A supervisor with schedules: it defines them at start, fires them while it runs, and counts the firings. */
class SupervisorScheduleTest {
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-03-28T12:00:00Z"));
    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void runsTheJobOfEachTimeAndCountsTheFirings() {
        JobQueue queue = queues.open(clock);
        List<String> ran = new CopyOnWriteArrayList<>();
        Schedule everyMinute = Schedule.builder("every-minute", "tick").interval(Duration.ofMinutes(1)).payload("t").build();
        try (Supervisor supervisor = Supervisor.builder(queue).handle("tick", job -> ran.add(job.id()))
                .schedule(everyMinute).schedulerTick(Duration.ofMillis(20)).depthRefresh(Duration.ZERO)
                .idleBackoff(Duration.ofMillis(10), Duration.ofMillis(20)).meterRegistry(registry).build().start()) {

            assertThat(supervisor.schedules()).containsExactly(everyMinute);
            assertThat(queue.schedules().get("every-minute")).isPresent();
            clock.advance(Duration.ofSeconds(61));
            await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 1);
            clock.advance(Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 2);
        }

        assertThat(ran).doesNotHaveDuplicates();
        assertThat(registry.get("docjobs.schedule.firings").tag("schedule", "every-minute").tag("outcome", "enqueued")
                .counter().count()).isEqualTo(2);
        assertThat(registry.get("docjobs.schedule.firings").tag("outcome", "misfire_skipped").counter().count()).isZero();
        assertThat(registry.get("docjobs.schedule.lag").tag("schedule", "every-minute").timer().count()).isEqualTo(2);
    }

    @Test
    void countsMisfiresAfterAnOutage() {
        JobQueue queue = queues.open(clock);
        try (Supervisor supervisor = Supervisor.builder(queue).handle("tick", job -> { })
                .schedule(Schedule.builder("s", "tick").interval(Duration.ofMinutes(1)).build())
                .schedulerTick(Duration.ofMillis(20)).depthRefresh(Duration.ZERO).meterRegistry(registry).build().start()) {

            clock.advance(Duration.ofMinutes(10).plusSeconds(30));
            await().atMost(Duration.ofSeconds(10)).until(() -> registry.get("docjobs.schedule.misfires").counter().count() == 10);
        }
    }

    @Test
    void schedulesNeedAQueueThatKeepsThemAndAValidTick() {
        JobQueue queue = queues.open(clock);
        JobConsumer consumerOnly = new ForwardingConsumer(queue);

        assertThatThrownBy(() -> Supervisor.builder(consumerOnly).handle("tick", job -> { }).scheduler(true)
                .schedulerTick(Duration.ZERO).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("schedulerTick was PT0S but must be between PT0.01S and PT1M")
                .hasMessageContaining("schedules need a JobQueue, but the queue given is only a ForwardingConsumer");
        Schedule schedule = Schedule.builder("s", "tick").interval(Duration.ofMinutes(1)).build();
        assertThatThrownBy(() -> Supervisor.builder(queue).handle("tick", job -> { }).schedule(schedule).schedule(schedule)
                .build()).hasMessage("schedule \"s\" is defined twice; give each schedule its own id");
    }

    @Test
    void aSupervisorRefusesAScheduleForATypeItDoesNotHandle() {
        assertThatThrownBy(() -> Supervisor.builder(queues.open(clock)).handle("email", job -> { })
                .schedule(Schedule.builder("nightly-report", "report").cron("* * * * *").build()).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("schedule \"nightly-report\": type was \"report\" but must be a type this supervisor handles"
                        + " [email]");
    }

    /** A consumer that is not a queue: schedules cannot be kept through it. */
    private record ForwardingConsumer(JobQueue queue) implements JobConsumer {
        @Override
        public java.util.Optional<Lease> claim(java.util.Collection<String> types, String workerId) {
            return queue.claim(types, workerId);
        }

        @Override
        public List<Lease> claimBatch(java.util.Collection<String> types, String workerId, int max) {
            return queue.claimBatch(types, workerId, max);
        }

        @Override
        public List<Lease> claimBatch(java.util.Map<String, Integer> limits, String workerId, int max) {
            return queue.claimBatch(limits, workerId, max);
        }

        @Override
        public boolean done(Lease lease) {
            return queue.done(lease);
        }

        @Override
        public java.util.Optional<Lease> extend(Lease lease, Duration duration) {
            return queue.extend(lease, duration);
        }

        @Override
        public ExtensionResult extendAll(java.util.Collection<Lease> leases, Duration duration) {
            return queue.extendAll(leases, duration);
        }

        @Override
        public ReleaseResult release(Lease lease, Duration delay, JobError error) {
            return queue.release(lease, delay, error);
        }

        @Override
        public ReleaseResult deadLetter(Lease lease, JobError error) {
            return queue.deadLetter(lease, error);
        }

        @Override
        public boolean giveBack(Lease lease) {
            return queue.giveBack(lease);
        }

        @Override
        public String name() {
            return queue.name();
        }

        @Override
        public Instant now() {
            return queue.now();
        }
    }
}
