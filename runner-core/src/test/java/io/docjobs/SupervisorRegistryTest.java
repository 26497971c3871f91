package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A running supervisor keeps its registry document current on its own thread, and marks it stopped on close. */
class SupervisorRegistryTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private JobQueue queue;

    @BeforeEach
    void openQueue() {
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(mongo.freshCollection()).build());
    }

    @AfterEach
    void closeQueue() {
        queue.close();
    }

    private Supervisor.Builder supervisor() {
        return Supervisor.builder(queue).workerId("registry-test-1").idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
                .handle("email", job -> { });
    }

    @Test
    void writesItsDocumentEveryIntervalWhileRunningAndMarksItStoppedOnClose() {
        Set<Instant> seen = ConcurrentHashMap.newKeySet();
        try (Supervisor running = supervisor().registryInterval(Duration.ofMillis(100)).build().start()) {
            queue.enqueue(JobRequest.builder("email").payload("x").build());

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                List<SupervisorInfo> all = queue.supervisors();
                assertThat(all).singleElement().satisfies(info -> {
                    assertThat(info.status()).isEqualTo(SupervisorInfo.Status.ALIVE);
                    seen.add(info.lastSeen());
                    assertThat(info.counts().succeeded()).isEqualTo(1);
                });
                assertThat(seen).as("a new write each interval").hasSizeGreaterThanOrEqualTo(3);
            });
            SupervisorInfo info = queue.supervisors().get(0);
            assertThat(info.id()).isEqualTo(running.workerId());
            assertThat(info.types()).containsExactly("email");
            assertThat(info.workers()).isEqualTo(SupervisorConfig.DEFAULT_WORKERS);
            assertThat(info.version()).isNotBlank();
            assertThat(info.host()).isNotBlank();
        }

        SupervisorInfo stopped = queue.supervisors().get(0);
        assertThat(stopped.status()).isEqualTo(SupervisorInfo.Status.STOPPED);
        assertThat(stopped.stoppedAt()).isNotNull();
        assertThat(stopped.counts().claimed()).isEqualTo(1);
    }

    @Test
    void aZeroIntervalKeepsNoDocument() {
        try (Supervisor running = supervisor().registryInterval(Duration.ZERO).build().start()) {
            assertThat(running.config().registryInterval()).isZero();
        }

        assertThat(queue.supervisors()).isEmpty();
    }
}
