package io.docjobs.daemon;

import io.docjobs.JobEntry;
import io.docjobs.JobHandlerProvider;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.QueueStats;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code docjobs demo}: the daemon's machinery on an in-memory embedded database with the example
 * handlers, registered here under their own {@code example.*} types, a mix of jobs (many quick
 * ones, flaky ones that retry, poison ones that end as dead letters, a long one kept alive by
 * heartbeats), live progress and a summary.
 *
 * <p>The handlers are given to the constructor (the command line passes the examples'), so the
 * daemon does not depend on the examples; the job mix is written for their payloads.
 */
@Command(name = "demo", description = "Run a demo on the embedded database: enqueue a job mix, run it, summarise.")
public final class DemoCommand implements Callable<Integer> {
    private final JobHandlerProvider email;
    private final JobHandlerProvider charge;
    private final JobHandlerProvider report;

    @Option(names = "--jobs", defaultValue = "3000", description = "quick jobs to enqueue (default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--http-port", defaultValue = "9464", description = "metrics port; 0 = any free port (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--keep-running", description = "keep serving /metrics and the console after the jobs are done,"
            + " until Ctrl-C")
    boolean keepRunning;

    @Option(names = "--console-token", paramLabel = "TOKEN", defaultValue = "${env:DOCJOBS_CONSOLE_TOKEN}",
            description = "token that enables the console's write actions (default: $DOCJOBS_CONSOLE_TOKEN; none: read only)")
    String consoleToken;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /**
     * @param email  sends a mail: payload {@code to}, {@code subject}, {@code body}; fails for good without {@code to}
     * @param charge charges {@code amountCents} to {@code account}: times out twice for a {@code flaky-} account,
     *               fails for good for a {@code closed-} one
     * @param report renders {@code pages} pages of {@code msPerPage} each, heartbeating in between
     */
    public DemoCommand(JobHandlerProvider email, JobHandlerProvider charge, JobHandlerProvider report) {
        this.email = email;
        this.charge = charge;
        this.report = report;
    }

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        // The demo prints its own progress; a log line per job and retry would drown it.
        LogLevels.quiet("io.docjobs.examples", "io.docjobs.internal");
        DaemonConfig config = demoConfig(httpPort, consoleToken);
        Map<String, HandlerLoader.Loaded> handlers = handlers(List.of(email, charge, report));
        EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
        Daemon daemon;
        try {
            daemon = Daemon.start(config, handlers, database);
        } catch (ConfigException e) {
            if (httpPort == 0 || !e.getMessage().contains("http.port")) {
                throw e;
            }
            out.println("port " + httpPort + " is busy; serving metrics on a free port instead");
            daemon = Daemon.start(demoConfig(0, consoleToken), handlers, database);
        }
        try (Daemon running = daemon) {
            out.printf("docjobs demo: embedded database (in memory) at %s, handlers %s%n", database.connectionString(),
                    handlers.keySet());
            out.printf("console: http://127.0.0.1:%d/   metrics: http://127.0.0.1:%d/metrics   health: http://127.0.0.1:%d/health%n",
                    running.httpPort(), running.httpPort(), running.httpPort());
            int total = enqueueMix(running.queue());
            out.printf("enqueued %,d jobs%n", total);
            long start = System.nanoTime();
            MeterRegistry registry = running.registry();
            while (unfinished(running.queue()) > 0 && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(55)) {
                TimeUnit.SECONDS.sleep(1);
                progress(out, registry, running, start, total);
            }
            progress(out, registry, running, start, total);
            summary(out, registry, running);
            if (keepRunning) {
                out.println("serving the console and metrics until Ctrl-C");
                out.flush();
                new CountDownLatch(1).await();
            }
        }
        return 0;
    }

    /** The handlers, each under its provider's type, with its provider's options. */
    static Map<String, HandlerLoader.Loaded> handlers(List<JobHandlerProvider> providers) {
        Map<String, HandlerLoader.Loaded> handlers = new LinkedHashMap<>();
        for (JobHandlerProvider provider : providers) {
            handlers.put(provider.type(), new HandlerLoader.Loaded(provider.type(), provider.handler(), provider.options(),
                    "example " + provider.getClass().getName()));
        }
        return handlers;
    }

    static DaemonConfig demoConfig(int httpPort, String consoleToken) {
        return new DaemonConfig("demo settings",
                new DaemonConfig.Database("", true, "docjobs", "demo_jobs", null, Duration.ofSeconds(10), true),
                new DaemonConfig.Embedded(0, null),
                new DaemonConfig.Queue(Duration.ofSeconds(30), 5),
                new DaemonConfig.SupervisorSettings("demo", 64, 1, 64, 0, Duration.ofMillis(20), Duration.ofMillis(200),
                        Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(2)),
                Map.of(), Map.of(), List.of(), null, false,
                new DaemonConfig.Http(true, "127.0.0.1", httpPort),
                new DaemonConfig.Console(true, consoleToken == null ? "" : consoleToken));
    }

    private int enqueueMix(JobQueue queue) {
        List<JobRequest> batch = new ArrayList<>();
        for (int i = 0; i < jobs; i++) {
            if (i % 20 == 7) {
                // Flaky: the gateway times out twice, then the charge goes through.
                batch.add(JobRequest.builder(charge.type()).payload(new Document("account", "flaky-" + i)
                        .append("amountCents", 100 + i)).build());
            } else {
                batch.add(JobRequest.builder(email.type()).payload(new Document("to", "user" + i + "@example.com")
                        .append("subject", "Welcome").append("body", "Hello #" + i)).build());
            }
            if (batch.size() == 500) {
                queue.enqueueAll(batch);
                batch.clear();
            }
        }
        // Poison: a closed account and a mail without a recipient can never succeed.
        batch.add(JobRequest.builder(charge.type()).payload(new Document("account", "closed-42").append("amountCents", 500)).build());
        batch.add(JobRequest.builder(email.type()).payload(new Document("subject", "no recipient")).build());
        // Long: ten pages of 400 ms each with a 1 s visibility timeout: only heartbeats keep it leased.
        batch.add(JobRequest.builder(report.type()).payload(new Document("pages", 10).append("msPerPage", 400))
                .visibilityTimeout(Duration.ofSeconds(1)).build());
        queue.enqueueAll(batch);
        return jobs + 3;
    }

    private static long unfinished(JobQueue queue) {
        QueueStats stats = queue.stats();
        return stats.ready() + stats.delayed() + stats.leased() + stats.expiredLeases();
    }

    private static double count(MeterRegistry registry, String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    private static void progress(PrintWriter out, MeterRegistry registry, Daemon daemon, long startNanos, int total) {
        double seconds = Math.max(0.001, (System.nanoTime() - startNanos) / 1e9);
        double done = count(registry, "docjobs.jobs.finished", "outcome", "success");
        out.printf("  %5.1fs  done %,6.0f / %,d   %,6.0f jobs/s   in flight %3d   retried %3.0f   dead %.0f%n", seconds,
                done, total, done / seconds, daemon.supervisor().inFlight(),
                count(registry, "docjobs.jobs.finished", "outcome", "retry"),
                count(registry, "docjobs.jobs.finished", "outcome", "dead"));
        out.flush();
    }

    private static void summary(PrintWriter out, MeterRegistry registry, Daemon daemon) {
        out.printf("%nsummary: %,.0f done, %.0f retries, %.0f dead-lettered, %.0f lease extensions, %.0f lease losses%n",
                count(registry, "docjobs.jobs.finished", "outcome", "success"),
                count(registry, "docjobs.jobs.finished", "outcome", "retry"),
                count(registry, "docjobs.jobs.finished", "outcome", "dead"),
                count(registry, "docjobs.lease.extensions"),
                count(registry, "docjobs.lease.losses"));
        for (JobEntry dead : daemon.queue().deadLetters(null, null, 5).entries()) {
            out.printf("dead letter %s (%s) after %d attempt(s): %s%n", dead.id(), dead.type(), dead.attempts(),
                    dead.lastError().message());
        }
        out.printf("metrics were served at http://127.0.0.1:%d/metrics (run with --keep-running to keep them up)%n",
                daemon.httpPort());
        out.flush();
    }
}
