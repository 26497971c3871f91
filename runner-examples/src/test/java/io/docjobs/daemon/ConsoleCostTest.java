package io.docjobs.daemon;

import static io.docjobs.daemon.ConsoleDaemon.QUICK;
import static io.docjobs.daemon.ConsoleDaemon.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * What the console costs the workers: the daemon works a backlog of quick jobs alone, then while
 * four clients call the console's pages and API as fast as it answers them, three rounds of each
 * alternating in one run. The job rate under the burst over the rate alone is printed, and must
 * stay above 0.4: a floor against gross regressions on a shared machine, not the figure (the
 * README quotes measured ones). Meanwhile the liveness probe must keep answering promptly. On the
 * embedded database every read takes the collection lock the claims need too, so this is the
 * worst case.
 */
class ConsoleCostTest {
    private static final int BACKLOG = 500;
    private static final int ROUNDS = 3;
    private static final int CLIENTS = 4;

    @Test
    void aBurstOfConsoleRequestsHardlySlowsTheWorkers() throws Exception {
        try (ConsoleDaemon console = new ConsoleDaemon(TOKEN).populate(5)) {
            drain(console, 300); // warm-up
            List<String> paths = List.of("/api/overview", "/api/dead-letters?limit=50", "/api/jobs/next?limit=20",
                    "/api/jobs/" + console.parkedIds.get(0), "/", "/dead-letters", "/api/schedules");
            // Alternating rounds, so that drift over the run (JIT, the machine's other load) falls on both sides.
            double alone = 0;
            double burst = 0;
            for (int round = 0; round < ROUNDS; round++) {
                alone += drain(console, BACKLOG);
                burst += underBurst(console, paths);
            }
            double ratio = burst / alone;
            System.out.printf("console cost: %,.0f jobs/s alone, %,.0f jobs/s under %,d console requests answered"
                    + " (%,.0f/s from %d clients; %d shed with 503, %d failed): ratio %.2f; slowest liveness probe %d ms%n",
                    alone / ROUNDS, burst / ROUNDS, requests.get(), requests.get() / burstSeconds, CLIENTS, shed.get(),
                    failures.get(), ratio, slowestProbe.get() / 1_000_000);
            assertThat(Duration.ofNanos(slowestProbe.get())).as("slowest liveness probe during the bursts")
                    .isLessThan(Duration.ofSeconds(2));
            assertThat(failures.get()).isZero();
            assertThat(requests.get()).isGreaterThan(20);
            assertThat(ratio).as("throughput under the console burst over throughput alone").isGreaterThan(0.4);
        }
    }

    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger failures = new AtomicInteger();
    private final AtomicInteger shed = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong slowestProbe = new java.util.concurrent.atomic.AtomicLong();
    private double burstSeconds;

    /** Drains a backlog while {@value #CLIENTS} clients call the console as fast as it answers; returns the job rate. */
    private double underBurst(ConsoleDaemon console, List<String> paths) throws InterruptedException {
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS + 1);
        long start = System.nanoTime();
        clients.submit(() -> {
            while (running.get()) {
                long asked = System.nanoTime();
                try {
                    if (console.get("/health/liveness").statusCode() != 200) {
                        failures.incrementAndGet();
                    }
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
                slowestProbe.accumulateAndGet(System.nanoTime() - asked, Math::max);
            }
        });
        for (int c = 0; c < CLIENTS; c++) {
            int offset = c;
            clients.submit(() -> {
                for (int i = offset; running.get(); i++) {
                    try {
                        HttpResponse<String> response = console.get(paths.get(i % paths.size()));
                        // 503: the console sheds requests beyond the two it admits at once, by design.
                        (response.statusCode() == 200 ? requests : response.statusCode() == 503 ? shed : failures)
                                .incrementAndGet();
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                }
            });
        }
        try {
            return drain(console, BACKLOG);
        } finally {
            running.set(false);
            clients.shutdown();
            assertThat(clients.awaitTermination(20, TimeUnit.SECONDS)).isTrue();
            burstSeconds += (System.nanoTime() - start) / 1e9;
        }
    }

    /** Enqueues {@code jobs} quick jobs and returns the rate at which the daemon finished them. */
    private static double drain(ConsoleDaemon console, int jobs) {
        List<JobRequest> batch = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            batch.add(JobRequest.builder(QUICK).payload(new Document("n", i)).build());
        }
        int target = console.quickRuns.get() + jobs;
        long start = System.nanoTime();
        console.queue().enqueueAll(batch);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20)).until(() -> console.quickRuns.get() >= target);
        return jobs / ((System.nanoTime() - start) / 1e9);
    }
}
