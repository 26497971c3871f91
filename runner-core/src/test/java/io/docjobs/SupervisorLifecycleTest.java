package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What an operator or a health check reads from a supervisor over its life: state, liveness,
 * jobs in flight and the identity it was built with.
 */
class SupervisorLifecycleTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private JobQueue queue;

    @BeforeEach
    void openQueue() {
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(mongo.freshCollection()).build());
    }

    private Supervisor.Builder supervisor() {
        return Supervisor.builder(queue).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .drainTimeout(Duration.ofSeconds(5));
    }

    @Test
    void reportsTheIdentityItWasBuiltWith() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (Supervisor supervisor = supervisor().name("billing").workerId("host-7")
                .meterRegistry(registry)
                .handle("invoice", job -> { })
                .handle("refund", job -> { })
                .build()) {
            assertThat(supervisor.name()).isEqualTo("billing");
            assertThat(supervisor.workerId()).isEqualTo("host-7");
            assertThat(supervisor.types()).containsExactly("invoice", "refund");
            assertThat(supervisor.meterRegistry()).isSameAs(registry);
        }
    }

    @Test
    void isLiveAndClaimingOnlyWhileRunning() {
        Supervisor supervisor = supervisor().handle("email", job -> { }).build();
        assertThat(supervisor.state()).isEqualTo(Supervisor.State.NEW);
        assertThat(supervisor.isLive()).as("not started yet").isFalse();

        supervisor.start();
        assertThat(supervisor.state()).isEqualTo(Supervisor.State.RUNNING);
        await().atMost(Duration.ofSeconds(5)).until(supervisor::isLive);
        assertThat(supervisor.claimsSucceeding()).isTrue();

        supervisor.close();
        assertThat(supervisor.state()).isEqualTo(Supervisor.State.TERMINATED);
        assertThat(supervisor.isLive()).as("closed").isFalse();
    }

    @Test
    void countsTheJobsWhoseHandlerIsRunning() throws Exception {
        CountDownLatch started = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        queue.enqueue("email", "a", Duration.ofSeconds(30));
        queue.enqueue("email", "b", Duration.ofSeconds(30));

        try (Supervisor supervisor = supervisor().workers(4).handle("email", job -> {
            started.countDown();
            release.await();
        }).build().start()) {
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(supervisor.inFlight()).isEqualTo(2);

            release.countDown();
            await().atMost(Duration.ofSeconds(5)).until(() -> supervisor.inFlight() == 0);
        }
        assertThat(queue.stats().byType()).isEmpty();
    }

    @Test
    void startsOnceAndClosesIdempotently() {
        Supervisor supervisor = supervisor().handle("email", job -> { }).build().start();

        assertThatThrownBy(supervisor::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already started").hasMessageContaining("RUNNING");
        supervisor.close();
        supervisor.close();
        assertThat(supervisor.state()).isEqualTo(Supervisor.State.TERMINATED);
    }

    @Test
    void closingASupervisorThatNeverStartedRunsNothing() {
        queue.enqueue("email", "x", Duration.ofSeconds(30));
        Supervisor supervisor = supervisor().handle("email", job -> {
            throw new AssertionError("a supervisor that was never started ran a job");
        }).build();

        supervisor.close();

        assertThat(supervisor.state()).isEqualTo(Supervisor.State.TERMINATED);
        assertThatThrownBy(supervisor::start).isInstanceOf(IllegalStateException.class);
        assertThat(queue.stats().forType("email").ready()).isEqualTo(1);
    }

    @Test
    void reportsClaimsFailingWhileTheDatabaseRefusesThemAndRecoversAfter() {
        AtomicBoolean down = new AtomicBoolean(true);
        JobConsumer flaky = (JobConsumer) Proxy.newProxyInstance(JobConsumer.class.getClassLoader(),
                new Class<?>[] {JobConsumer.class}, (proxy, method, args) -> {
                    if (down.get() && method.getName().startsWith("claim")) {
                        throw new DatabaseUnavailableException("test: the database is down", null);
                    }
                    try {
                        return method.invoke(queue, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });

        try (Supervisor supervisor = Supervisor.builder(flaky).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .handle("email", job -> { }).build().start()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !supervisor.claimsSucceeding());
            assertThat(supervisor.isLive()).as("an outage is no reason to restart the process").isTrue();

            down.set(false);
            await().atMost(Duration.ofSeconds(10)).until(supervisor::claimsSucceeding);
        }
    }
}
