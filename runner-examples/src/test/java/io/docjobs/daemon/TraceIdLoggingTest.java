package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.QueueConfig;
import io.docjobs.Supervisor;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** While a handler runs, the daemon's logs (logback) carry the job and the producer's trace id in the MDC. */
class TraceIdLoggingTest {
    private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    @Test
    void handlerLogsCarryTheProducersTraceIdAndTheJob() {
        Map<String, String> mdc = new ConcurrentHashMap<>();
        try (EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
                JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString())
                        .changeStreams(false).build());
                Supervisor supervisor = Supervisor.builder(queue).idleBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
                        .handle("email", job -> mdc.putAll(MDC.getCopyOfContextMap())).build()) {
            String id = queue.enqueue(JobRequest.builder("email").payload("x").traceparent(TRACEPARENT).build()).id();

            supervisor.start();

            await().atMost(Duration.ofSeconds(10)).until(() -> !mdc.isEmpty());
            assertThat(mdc).containsEntry("traceId", "4bf92f3577b34da6a3ce929d0e0e4736")
                    .containsEntry("jobId", id).containsEntry("jobType", "email").containsEntry("jobAttempt", "1");
        }
    }
}
