package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobQueue;
import io.docjobs.QueueConfig;
import io.docjobs.Supervisor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two daemons on the embedded database (its default, on a data file, and in memory) start each
 * other's jobs at once: each supervisor has its own client, as a separate process would, and
 * learns of entries enqueued through the other's client only through its change stream.
 */
class EmbeddedWakeUpTest {
    /** Idle back-off of both supervisors, minimum and cap: a poll waits 1-2 s after the last. */
    private static final Duration IDLE_BACKOFF = Duration.ofSeconds(2);
    private static final Duration P50_BOUND = Duration.ofMillis(50);
    private static final int JOBS = 30;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"data file", "in memory"})
    void twoSupervisorsStartJobsEnqueuedThroughTheOthersClientWithinMilliseconds(String storage) throws Exception {
        // Polling alone could not pass: after each poll the next one is at least half the cap away.
        assertThat(IDLE_BACKOFF.dividedBy(2)).isGreaterThanOrEqualTo(P50_BOUND.multipliedBy(20));
        Path dataFile = storage.equals("data file") ? dir.resolve("docjobs.h2") : null;
        BlockingQueue<Long> startedA = new LinkedBlockingQueue<>();
        BlockingQueue<Long> startedB = new LinkedBlockingQueue<>();
        try (LogCapture logs = new LogCapture();
                EmbeddedDatabase database = EmbeddedDatabase.start(dataFile, 0);
                JobQueue queueA = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString()).build());
                JobQueue queueB = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString()).build());
                Supervisor a = supervisor(queueA, "a", startedA);
                Supervisor b = supervisor(queueB, "b", startedB)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> List.copyOf(logs.events()).stream()
                    .filter(e -> e.getFormattedMessage().startsWith("following new entries of docjobs.jobs with a change stream"))
                    .count() == 2);

            List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                boolean toA = i % 2 == 0;
                JobQueue producer = toA ? queueB : queueA; // the other daemon's client
                long enqueued = System.nanoTime();
                producer.enqueue(toA ? "a" : "b", new Document("n", i), Duration.ofSeconds(30));
                Long started = (toA ? startedA : startedB).poll(10, TimeUnit.SECONDS);
                assertThat(started).as("job %d started", i).isNotNull();
                latencies.add(started - enqueued);
            }

            Collections.sort(latencies);
            Duration p50 = Duration.ofNanos(latencies.get(JOBS / 2));
            Duration max = Duration.ofNanos(latencies.get(JOBS - 1));
            System.out.printf("embedded (%s), enqueue by the other client to handler start over %d jobs: p50 %.1f ms,"
                    + " p90 %.1f ms, max %.1f ms%n", storage, JOBS, p50.toNanos() / 1e6,
                    latencies.get(JOBS * 9 / 10) / 1e6, max.toNanos() / 1e6);
            assertThat(p50).isLessThan(P50_BOUND);
        }
    }

    private static Supervisor supervisor(JobQueue queue, String type, BlockingQueue<Long> started) {
        return Supervisor.builder(queue).name(type).workers(8).maxBatch(32).idleBackoff(IDLE_BACKOFF, IDLE_BACKOFF)
                .handle(type, job -> started.add(System.nanoTime())).build().start();
    }
}
