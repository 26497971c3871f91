package io.docjobs.examples;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.docjobs.JobEntry;
import io.docjobs.JobQueue;
import io.docjobs.QueueConfig;
import io.docjobs.QueueStats;
import io.docjobs.Supervisor;
import io.docjobs.examples.handlers.ChargePaymentHandler;
import io.docjobs.examples.handlers.RenderReportHandler;
import io.docjobs.examples.handlers.SendEmailHandler;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.bson.Document;

/**
 * Embeds docjobs as a library, without the daemon: one queue, one supervisor running the three
 * example handlers, a handful of jobs (one of them a payment to a closed account that must be
 * dead-lettered), and a summary. Ends in a few seconds.
 *
 * <p>Runs on an in-memory database unless {@code DOCJOBS_MONGODB_URI} names a real server (then it
 * uses the collection {@code docjobs.example_jobs}).
 */
public final class EmbeddedLibraryExample {
    private static final Duration POLL_INTERVAL = Duration.ofMillis(100);
    private static final Duration MAX_WAIT = Duration.ofSeconds(30);

    private EmbeddedLibraryExample() {
    }

    public static void main(String[] args) throws InterruptedException {
        String uri = System.getenv("DOCJOBS_MONGODB_URI");
        MongoServer embedded = null;
        if (uri == null || uri.isBlank()) {
            embedded = new MongoServer(new MemoryBackend());
            InetSocketAddress address = embedded.bind();
            uri = "mongodb://" + address.getHostString() + ":" + address.getPort();
        }
        try {
            run(QueueConfig.builder().connectionString(uri).collection("example_jobs").build());
        } finally {
            if (embedded != null) {
                embedded.shutdownNow();
            }
        }
    }

    private static void run(QueueConfig config) throws InterruptedException {
        SendEmailHandler mailer = new SendEmailHandler();
        RenderReportHandler reports = new RenderReportHandler();
        ChargePaymentHandler payments = new ChargePaymentHandler();
        try (JobQueue queue = JobQueue.connect(config);
             Supervisor supervisor = Supervisor.builder(queue)
                     .name("example")
                     .workers(4)
                     // The default idle back-off (up to 2 s) would let each retry of the flaky
                     // payment wait for the next poll; poll more eagerly so the example ends quickly.
                     .idleBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
                     .handle(SendEmailHandler.TYPE, mailer)
                     .handle(RenderReportHandler.TYPE, reports)
                     .handle(ChargePaymentHandler.TYPE, payments, ChargePaymentHandler.recommendedOptions())
                     .build()
                     .start()) {
            Set<String> ids = enqueueJobs(queue);
            awaitNothingLeft(queue);

            List<JobEntry> dead = queue.deadLetters(null, null, 100).entries().stream()
                    .filter(entry -> ids.contains(entry.id())) // on a real server, skip earlier runs
                    .toList();
            System.out.printf("summary: %d mails sent, %d reports rendered, %d payments charged, %d dead-lettered%n",
                    mailer.outbox().size(), reports.renderedCount(), payments.chargedCount(), dead.size());
            for (JobEntry entry : dead) {
                System.out.printf("dead letter %s (%s, attempt %d): %s%n", entry.id(), entry.type(),
                        entry.attempts(), entry.lastError().message());
            }
        }
    }

    private static Set<String> enqueueJobs(JobQueue queue) {
        Duration lease = Duration.ofSeconds(30);
        Set<String> ids = new HashSet<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(queue.enqueue(SendEmailHandler.TYPE, new Document("to", "user" + i + "@example.com")
                    .append("subject", "Welcome").append("body", "Hello, user " + i), lease));
        }
        for (int i = 1; i <= 3; i++) {
            ids.add(queue.enqueue(RenderReportHandler.TYPE, new Document("pages", 10).append("msPerPage", 10), lease));
        }
        for (String account : new String[] {"acct-1", "acct-2", "flaky-3", "closed-4"}) {
            ids.add(queue.enqueue(ChargePaymentHandler.TYPE,
                    new Document("account", account).append("amountCents", 1250), lease));
        }
        return ids;
    }

    /** Waits until no entry is ready, waiting for a retry (delayed) or leased. */
    private static void awaitNothingLeft(JobQueue queue) throws InterruptedException {
        long deadline = System.nanoTime() + MAX_WAIT.toNanos();
        while (true) {
            // Delayed counts too: the flaky payment sits there between its attempts.
            QueueStats stats = queue.stats();
            long left = stats.ready() + stats.delayed() + stats.leased() + stats.expiredLeases();
            if (left == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(left + " jobs still unfinished after " + MAX_WAIT + ": " + stats);
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }
}
