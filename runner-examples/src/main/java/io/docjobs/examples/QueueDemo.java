package io.docjobs.examples;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import io.docjobs.QueueConfig;
import io.docjobs.QueueStats;
import io.docjobs.ReleaseResult;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.bson.Document;

/**
 * A small real run of the queue on the embedded database: enqueue a few thousand jobs, let four
 * workers claim them in batches, retry the flaky ones, dead-letter the poison one, print stats.
 *
 * <p>Run: {@code java -jar runner-examples/target/docjobs.jar [jobs]}; with a connection string in
 * {@code DOCJOBS_MONGODB_URI} it runs against that server instead (in collection {@code demo_jobs}).
 */
public final class QueueDemo {
    private static final Set<String> TYPES = Set.of("example.email.send", "example.report.render", "example.flaky.call",
            "example.poison.pill");
    private static final int WORKERS = 4;

    private final JobQueue queue;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong lostLeases = new AtomicLong();

    private QueueDemo(JobQueue queue) {
        this.queue = queue;
    }

    public static void main(String[] args) throws Exception {
        int jobs = args.length > 0 ? Integer.parseInt(args[0]) : 3_000;
        String uri = System.getenv("DOCJOBS_MONGODB_URI");
        MongoServer embedded = null;
        if (uri == null || uri.isBlank()) {
            embedded = new MongoServer(new MemoryBackend());
            InetSocketAddress address = embedded.bind();
            uri = "mongodb://" + address.getHostString() + ":" + address.getPort();
            System.out.println("docjobs demo: embedded database (in memory) at " + uri);
        }
        QueueConfig config = QueueConfig.builder().connectionString(uri).collection("demo_jobs")
                .defaultVisibilityTimeout(Duration.ofSeconds(10)).build();
        try (JobQueue queue = JobQueue.connect(config)) {
            new QueueDemo(queue).run(jobs);
        } finally {
            if (embedded != null) {
                embedded.shutdownNow();
            }
        }
    }

    private void run(int jobs) throws InterruptedException {
        long startNanos = System.nanoTime();
        enqueueMix(jobs);
        long expected = jobs + 2L; // the mix, the poison pill and one welcome mail
        System.out.printf("enqueued %,d jobs (+1 duplicate suppressed by its dedup key) in %d ms%n", jobs,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));

        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS, runnable -> {
            Thread thread = new Thread(runnable);
            thread.setName("demo-worker-" + thread.getId());
            return thread;
        });
        long workStart = System.nanoTime();
        for (int i = 0; i < WORKERS; i++) {
            String workerId = "demo-worker-" + i;
            workers.execute(() -> work(workerId, running));
        }
        while (completed.get() + deadLettered.get() < expected
                && System.nanoTime() - workStart < TimeUnit.SECONDS.toNanos(60)) {
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
            printProgress(workStart, expected);
        }
        running.set(false);
        workers.shutdown();
        workers.awaitTermination(10, TimeUnit.SECONDS);
        printProgress(workStart, expected);
        printSummary();
    }

    private void enqueueMix(int jobs) {
        List<JobRequest> batch = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            String type = i % 10 == 0 ? "example.report.render" : i % 50 == 1 ? "example.flaky.call" : "example.email.send";
            batch.add(JobRequest.builder(type)
                    .payload(new Document("n", i).append("to", "user" + i + "@example.com"))
                    .priority(type.equals("example.report.render") ? 5 : 0)
                    .build());
            if (batch.size() == 500) {
                queue.enqueueAll(batch);
                batch.clear();
            }
        }
        batch.add(JobRequest.builder("example.poison.pill").payload("{\"always\": \"fails\"}").maxAttempts(3).build());
        batch.add(JobRequest.builder("example.email.send").payload("welcome").dedupKey("welcome-user-1").build());
        batch.add(JobRequest.builder("example.email.send").payload("welcome again").dedupKey("welcome-user-1").build());
        queue.enqueueAll(batch);
    }

    private void work(String workerId, AtomicBoolean running) {
        int idle = 0;
        while (running.get()) {
            List<Lease> leases;
            try {
                leases = queue.claimBatch(TYPES, workerId, 50);
            } catch (RuntimeException e) {
                System.err.println(workerId + ": claim failed: " + e.getMessage());
                leases = List.of();
            }
            if (leases.isEmpty()) {
                // Idle: back off a little, up to 200 ms, so an empty queue is not polled in a tight loop.
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(Math.min(200, 10L << Math.min(idle++, 5))));
                continue;
            }
            idle = 0;
            for (Lease lease : leases) {
                handle(lease);
            }
        }
    }

    private void handle(Lease lease) {
        try {
            switch (lease.type()) {
                case "example.poison.pill" -> throw new IllegalStateException("this job can never succeed");
                case "example.flaky.call" -> {
                    if (lease.attempt() == 1) {
                        throw new java.io.UncheckedIOException(new java.io.IOException("upstream timed out"));
                    }
                }
                default -> lease.payload().hashCode(); // the "work"
            }
            if (queue.done(lease)) {
                completed.incrementAndGet();
            } else {
                lostLeases.incrementAndGet();
            }
        } catch (RuntimeException failure) {
            ReleaseResult result = queue.release(lease, Duration.ofMillis(200L * lease.attempt()), JobError.of(failure));
            switch (result) {
                case RETRY_SCHEDULED -> retried.incrementAndGet();
                case DEAD_LETTERED -> deadLettered.incrementAndGet();
                case LEASE_LOST -> lostLeases.incrementAndGet();
            }
        }
    }

    private void printProgress(long startNanos, long expected) {
        double seconds = Math.max(0.001, (System.nanoTime() - startNanos) / 1e9);
        System.out.printf("  done %,6d / %,d   %,7.0f jobs/s   retried %d   dead %d%n", completed.get(), expected,
                completed.get() / seconds, retried.get(), deadLettered.get());
    }

    private void printSummary() {
        QueueStats stats = queue.stats();
        System.out.printf("%nfinished: %,d done, %d retried, %d dead-lettered, %d lost leases%n", completed.get(),
                retried.get(), deadLettered.get(), lostLeases.get());
        System.out.printf("queue now: ready %d, delayed %d, leased %d, dead %d%n", stats.ready(), stats.delayed(),
                stats.leased(), stats.dead());
        for (JobEntry dead : queue.deadLetters(null, null, 5).entries()) {
            System.out.printf("dead letter %s (%s) after %d attempts: %s: %s%n", dead.id(), dead.type(), dead.attempts(),
                    dead.lastError().exceptionClass(), dead.lastError().message());
        }
    }
}
