package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An operator cancels a running job while a real supervisor runs it: its handler stops at the next heartbeat. */
@Timeout(30)
class SupervisorCancelTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private final MeterRegistry registry = new SimpleMeterRegistry();
    private JobQueue queue;
    private Supervisor supervisor;

    @BeforeEach
    void openQueue() {
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(mongo.freshCollection()).build());
    }

    @AfterEach
    void close() {
        if (supervisor != null) {
            supervisor.close();
        }
        queue.close();
    }

    @Test
    void aHandlerWorkingUntilCancelledStopsAtTheNextHeartbeatAndTheJobIsNotRetried() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean sawCancelled = new AtomicBoolean();
        supervisor = Supervisor.builder(queue).meterRegistry(registry).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
                .drainTimeout(Duration.ofSeconds(5))
                .handle("report", job -> {
                    started.countDown();
                    try {
                        new CountDownLatch(1).await(); // works until interrupted
                    } catch (InterruptedException e) {
                        sawCancelled.set(job.isCancelled());
                    }
                }, HandlerOptions.builder().leaseExtension(Duration.ofMillis(600)).build())
                .build().start();
        String id = queue.enqueue(JobRequest.builder("report").payload("x").visibilityTimeout(Duration.ofMillis(600)).build()).id();
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();

        assertThat(queue.cancel(id, "ops").status()).isEqualTo(AdminResult.Status.CANCEL_REQUESTED);

        Awaitility.await().atMost(Duration.ofSeconds(10)).untilTrue(sawCancelled);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> queue.get(id).isEmpty());
        assertThat(registry.get("docjobs.jobs.finished").tag("outcome", "cancelled").counter().count()).isEqualTo(1);
        assertThat(registry.get("docjobs.jobs.finished").tag("outcome", "success").counter().count()).isZero();
        assertThat(registry.get("docjobs.jobs.finished").tag("outcome", "retry").counter().count()).isZero();
        assertThat(queue.auditLog(id, 5)).singleElement().extracting(AuditRecord::outcome).isEqualTo("CANCEL_REQUESTED");
    }
}
