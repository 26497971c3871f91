package io.docjobs.tools.bench;

import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Supervisor;
import io.docjobs.daemon.DurationConverter;
import io.docjobs.daemon.LogLevels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.bson.Document;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code docjobs bench}: measures, in one run on one database, docjobs end to end against the
 * plain-driver loops (naive and limit), backlog scaling, enqueue, latency, idle and heartbeat cost,
 * and prints ratios rather than lone absolute numbers (machines here are shared and noisy).
 */
@Command(name = "bench", description = "Benchmark docjobs against plain driver loops on the same database.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--jobs", paramLabel = "N", defaultValue = "3000",
            description = "backlog of each throughput run (default: ${DEFAULT-VALUE})")
    int jobs;

    @Option(names = "--threads", paramLabel = "T", defaultValue = "4",
            description = "worker threads T of every loop (default: ${DEFAULT-VALUE})")
    int threads;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "8",
            description = "claim batch per thread of the limit loop (default: ${DEFAULT-VALUE}); the supervisor gets"
                    + " T x B workers")
    int batch;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "3s", converter = DurationConverter.Positive.class,
            description = "time cap of each throughput run (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "3",
            description = "runs per throughput figure; median and spread (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--backlogs", paramLabel = "N,N,...", defaultValue = "1000,10000,50000", split = ",",
            description = "backlogs for scaling (default: ${DEFAULT-VALUE})")
    int[] backlogs;

    @Option(names = "--uri", paramLabel = "URI",
            description = "MongoDB / DocumentDB connection string (default: the embedded server, in memory)")
    String uri;

    @Option(names = "--json", paramLabel = "FILE", defaultValue = "bench-results.json",
            description = "where to write the JSON results (default: ${DEFAULT-VALUE})")
    Path json;

    @Option(names = "--quick", description = "tiny sizes: checks that every figure is produced (for tests)")
    boolean quick;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private PrintWriter out;
    private final Map<String, String> figures = new LinkedHashMap<>();
    private final List<String[]> table = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        out = spec.commandLine().getOut();
        if (quick) {
            jobs = 300;
            repeat = 1;
            backlogs = new int[] {200, 1000};
            duration = Duration.ofSeconds(1);
        }
        Duration cap = duration;
        atLeastOne("--jobs", jobs);
        atLeastOne("--threads", threads);
        atLeastOne("--batch", batch);
        atLeastOne("--repeat", repeat);
        for (int backlog : backlogs) {
            atLeastOne("--backlogs", backlog);
        }
        LogLevels.quiet("io.docjobs");
        try (BenchDatabase db = new BenchDatabase(uri)) {
            out.printf("docjobs bench on %s: %d CPUs, Java %s, jobs %d, threads %d, batch %d, cap %s, %d run(s) each%n",
                    db.description(), Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                    jobs, threads, batch, cap, repeat);
            figures.put("database", db.description());
            figures.put("cpus", String.valueOf(Runtime.getRuntime().availableProcessors()));
            figures.put("java", System.getProperty("java.version"));
            figures.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            throughput(db, cap);
            scaling(db, cap);
            enqueue(db);
            latency(db, cap);
            idle(db);
            heartbeat(db);
        }
        report();
        return 0;
    }

    private static void atLeastOne(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " was " + value + " but must be at least 1");
        }
    }

    // ------------------------------------------------------------------ 1-4 throughput

    private void throughput(BenchDatabase db, Duration cap) {
        int workers = threads * batch;
        progress("warm-up");
        naive(db, Math.min(jobs, 300), cap);
        limit(db, Math.min(jobs, 300), cap);
        endToEnd(db, Math.min(jobs, 300), cap, workers);
        Sample naive = repeat("naive", () -> naive(db, jobs, cap));
        Sample limit = repeat("limit", () -> limit(db, jobs, cap));
        Sample docjobs = repeat("docjobs end to end", () -> endToEnd(db, jobs, cap, workers));
        row("naive: sorted findOneAndUpdate + delete, " + threads + " threads", naive, "jobs/s");
        row("limit: docjobs' queries, plain driver, " + threads + " threads x batch " + batch, limit, "jobs/s");
        row("docjobs end to end: Supervisor, " + workers + " workers, no-op handler", docjobs, "jobs/s");
        ratio("framework_ratio", "docjobs / limit (goal >= 0.9)", docjobs.median / limit.median);
        ratio("design_gain", "docjobs / naive (goal >= 2)", docjobs.median / naive.median);
        figures.put("naive_jobs_per_s", fmt(naive.median));
        figures.put("limit_jobs_per_s", fmt(limit.median));
        figures.put("docjobs_jobs_per_s", fmt(docjobs.median));
        capacity = docjobs.median;
    }

    private double capacity;

    private double naive(BenchDatabase db, int backlog, Duration cap) {
        String name = db.freshCollection();
        try (JobQueue queue = db.queue(name)) {
            BenchDatabase.fill(queue, backlog);
            return Loops.naive(db.collection(name), threads, backlog, cap).perSecond();
        } finally {
            db.drop(name);
        }
    }

    private double limit(BenchDatabase db, int backlog, Duration cap) {
        String name = db.freshCollection();
        try (JobQueue queue = db.queue(name)) {
            BenchDatabase.fill(queue, backlog);
            return Loops.limit(db.collection(name), threads, batch, backlog, cap).perSecond();
        } finally {
            db.drop(name);
        }
    }

    private double endToEnd(BenchDatabase db, int backlog, Duration cap, int workers) {
        String name = db.freshCollection();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong handled = new AtomicLong();
        try (JobQueue queue = db.queue(name)) {
            BenchDatabase.fill(queue, backlog);
            Supervisor supervisor = Supervisor.builder(queue).name("bench").workers(workers).maxBatch(workers)
                    .meterRegistry(registry).handle(BenchDatabase.TYPE, job -> handled.incrementAndGet()).build();
            long start = System.nanoTime();
            long deadline = start + cap.toNanos();
            supervisor.start();
            try {
                while (finished(registry) < backlog && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
                return finished(registry) / ((System.nanoTime() - start) / 1e9);
            } finally {
                supervisor.close();
            }
        } finally {
            db.drop(name);
        }
    }

    private static double finished(SimpleMeterRegistry registry) {
        var counter = registry.find("docjobs.jobs.finished").tag("outcome", "success").counter();
        return counter == null ? 0 : counter.count();
    }

    // ------------------------------------------------------------------ 5 scaling

    private void scaling(BenchDatabase db, Duration cap) {
        for (int backlog : backlogs) {
            progress("backlog " + backlog + ": naive");
            double naive = naive(db, backlog, cap);
            progress("backlog " + backlog + ": docjobs");
            double docjobs = endToEnd(db, backlog, cap, threads * batch);
            table.add(new String[] {"backlog " + backlog + ": naive / docjobs", fmt(naive) + " / " + fmt(docjobs),
                    "jobs/s", "ratio " + fmt(docjobs / naive)});
            figures.put("backlog_" + backlog + "_naive_jobs_per_s", fmt(naive));
            figures.put("backlog_" + backlog + "_docjobs_jobs_per_s", fmt(docjobs));
        }
    }

    // ------------------------------------------------------------------ 6 enqueue

    private void enqueue(BenchDatabase db) {
        int single = quick ? 100 : 1000;
        int bulk = quick ? 1000 : 10_000;
        progress("enqueue one by one");
        String name = db.freshCollection();
        double oneByOne;
        double all;
        try (JobQueue queue = db.queue(name)) {
            long start = System.nanoTime();
            for (int i = 0; i < single; i++) {
                queue.enqueue(BenchDatabase.TYPE, new Document("n", i), Duration.ofSeconds(30));
            }
            oneByOne = single / ((System.nanoTime() - start) / 1e9);
            progress("enqueueAll");
            start = System.nanoTime();
            BenchDatabase.fill(queue, bulk);
            all = bulk / ((System.nanoTime() - start) / 1e9);
        } finally {
            db.drop(name);
        }
        table.add(new String[] {"enqueue one by one / enqueueAll (batches of 1000)", fmt(oneByOne) + " / " + fmt(all),
                "entries/s", "ratio " + fmt(all / oneByOne)});
        figures.put("enqueue_one_by_one_per_s", fmt(oneByOne));
        figures.put("enqueue_all_per_s", fmt(all));
        figures.put("enqueue_ratio", fmt(all / oneByOne));
    }

    // ------------------------------------------------------------------ 7 latency

    private void latency(BenchDatabase db, Duration cap) throws InterruptedException {
        double rate = Math.max(10, Math.min(capacity / 2, 2000));
        progress("latency at " + fmt(rate) + " jobs/s");
        long[] steady = latencyRun(db, rate, quick ? Duration.ofSeconds(1) : cap.multipliedBy(2), true);
        table.add(new String[] {"enqueue to handler start at " + fmt(rate) + " jobs/s: p50 / p99 / max",
                ms(percentile(steady, 50)) + " / " + ms(percentile(steady, 99)) + " / " + ms(percentile(steady, 100)), "ms", ""});
        figures.put("latency_rate_per_s", fmt(rate));
        figures.put("latency_p50_ms", ms(percentile(steady, 50)));
        figures.put("latency_p99_ms", ms(percentile(steady, 99)));
        figures.put("latency_max_ms", ms(percentile(steady, 100)));

        progress("idle supervisor: latency with and without wake-ups");
        long[] woken = idleLatency(db, true);
        long[] polled = idleLatency(db, false);
        table.add(new String[] {"idle supervisor, enqueue to start p50: with wake-up / polling only",
                ms(percentile(woken, 50)) + " / " + ms(percentile(polled, 50)), "ms", "goal with < 50 ms"});
        figures.put("idle_latency_wakeup_p50_ms", ms(percentile(woken, 50)));
        figures.put("idle_latency_polling_p50_ms", ms(percentile(polled, 50)));
    }

    /** Enqueues at {@code rate} for {@code length}; returns each job's enqueue-to-start time in nanos. */
    private long[] latencyRun(BenchDatabase db, double rate, Duration length, boolean sameQueue) throws InterruptedException {
        String name = db.freshCollection();
        Map<String, Long> enqueuedAt = new ConcurrentHashMap<>();
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        try (JobQueue queue = db.queue(name); JobQueue producer = sameQueue ? null : db.queue(name)) {
            JobQueue enqueuer = sameQueue ? queue : producer;
            Supervisor supervisor = Supervisor.builder(queue).name("latency").workers(threads * batch)
                    .maxBatch(threads * batch).meterRegistry(new SimpleMeterRegistry()).handle(BenchDatabase.TYPE, job -> {
                        long now = System.nanoTime();
                        Long sent = waitFor(enqueuedAt, job.id());
                        if (sent != null) {
                            latencies.add(now - sent);
                        }
                    }).build().start();
            try {
                long interval = (long) (1e9 / rate);
                long next = System.nanoTime();
                long end = next + length.toNanos();
                while (next < end) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    long sent = System.nanoTime();
                    String id = enqueuer.enqueue(JobRequest.builder(BenchDatabase.TYPE).payload("x").build()).id();
                    enqueuedAt.put(id, sent);
                    next += interval;
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (latencies.size() < enqueuedAt.size() && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(5);
                }
            } finally {
                supervisor.close();
            }
        } finally {
            db.drop(name);
        }
        return latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** The handler may start before the producer recorded the id (it returns from enqueue later). */
    private static Long waitFor(Map<String, Long> map, String id) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        Long value;
        while ((value = map.get(id)) == null && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        return value;
    }

    /** One job every 400 ms into an idle supervisor with default back-off: what a quiet queue feels like. */
    private long[] idleLatency(BenchDatabase db, boolean wakeUps) throws InterruptedException {
        return latencyRun(db, 2.5, Duration.ofSeconds(quick ? 1 : 4), wakeUps);
    }

    // ------------------------------------------------------------------ 8 idle cost

    private void idle(BenchDatabase db) throws InterruptedException {
        progress("idle cost (default settings)");
        String name = db.freshCollection();
        try (JobQueue queue = db.queue(name)) {
            Supervisor supervisor = Supervisor.builder(queue).name("idle").meterRegistry(new SimpleMeterRegistry())
                    .handle(BenchDatabase.TYPE, job -> { }).build().start();
            try {
                TimeUnit.MILLISECONDS.sleep(quick ? 500 : 4000); // let the back-off settle
                long before = db.commands();
                long start = System.nanoTime();
                TimeUnit.MILLISECONDS.sleep(quick ? 1500 : 6000);
                double perSecond = (db.commands() - before) / ((System.nanoTime() - start) / 1e9);
                table.add(new String[] {"idle supervisor: database commands per second", fmt2(perSecond), "1/s",
                        "goal <= 1"});
                figures.put("idle_commands_per_s", fmt2(perSecond));
            } finally {
                supervisor.close();
            }
        } finally {
            db.drop(name);
        }
    }

    // ------------------------------------------------------------------ 9 heartbeat cost

    private void heartbeat(BenchDatabase db) throws InterruptedException {
        int inFlight = quick ? 20 : 100;
        progress("heartbeat cost with " + inFlight + " long jobs in flight");
        String name = db.freshCollection();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CountDownLatch release = new CountDownLatch(1);
        try (JobQueue queue = db.queue(name)) {
            List<JobRequest> requests = new ArrayList<>();
            for (int i = 0; i < inFlight; i++) {
                requests.add(JobRequest.builder(BenchDatabase.TYPE).payload("long").visibilityTimeout(Duration.ofMillis(900)).build());
            }
            queue.enqueueAll(requests);
            Supervisor supervisor = Supervisor.builder(queue).name("heartbeat").workers(inFlight).maxBatch(inFlight)
                    .depthRefresh(Duration.ZERO).meterRegistry(registry)
                    .handle(BenchDatabase.TYPE, job -> release.await()).build().start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (supervisor.inFlight() < inFlight && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(10);
                }
                double extensionsBefore = extensions(registry);
                long updatesBefore = db.updates();
                TimeUnit.MILLISECONDS.sleep(quick ? 1500 : 3000);
                double rounds = (extensions(registry) - extensionsBefore) / inFlight;
                double updates = db.updates() - updatesBefore;
                double perRound = rounds == 0 ? Double.NaN : updates / rounds;
                table.add(new String[] {"heartbeat with " + inFlight + " jobs in flight: round trips per heartbeat",
                        fmt2(perRound), "", "goal 1 (" + fmt(rounds) + " heartbeats measured)"});
                figures.put("heartbeat_round_trips", fmt2(perRound));
                figures.put("heartbeat_rounds", fmt(rounds));
            } finally {
                release.countDown();
                supervisor.close();
            }
        } finally {
            db.drop(name);
        }
    }

    private static double extensions(SimpleMeterRegistry registry) {
        var counter = registry.find("docjobs.lease.extensions").counter();
        return counter == null ? 0 : counter.count();
    }

    // ------------------------------------------------------------------ reporting

    /** Median and spread of repeated runs. */
    record Sample(double median, double min, double max) {
    }

    private Sample repeat(String what, Supplier<Double> run) {
        double[] values = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            progress(what + ", run " + (i + 1) + " of " + repeat);
            values[i] = run.get();
        }
        Arrays.sort(values);
        return new Sample(values[values.length / 2], values[0], values[values.length - 1]);
    }

    private void row(String name, Sample sample, String unit) {
        table.add(new String[] {name, fmt(sample.median), unit, "spread " + fmt(sample.min) + "–" + fmt(sample.max)});
    }

    private void ratio(String key, String name, double value) {
        table.add(new String[] {name, fmt2(value), "x", ""});
        figures.put(key, fmt2(value));
    }

    private void progress(String what) {
        out.println("  ... " + what);
        out.flush();
    }

    private void report() throws IOException {
        out.println();
        int width = table.stream().mapToInt(row -> row[0].length()).max().orElse(10);
        for (String[] row : table) {
            out.printf("%-" + width + "s  %18s %-9s %s%n", row[0], row[1], row[2], row[3]);
        }
        out.println();
        figures.forEach((key, value) -> out.println(key + "=" + value));
        StringBuilder text = new StringBuilder("{\n");
        int i = 0;
        for (Map.Entry<String, String> figure : figures.entrySet()) {
            text.append("  \"").append(figure.getKey()).append("\": \"").append(figure.getValue().replace("\"", "'"))
                    .append(i++ < figures.size() - 1 ? "\",\n" : "\"\n");
        }
        text.append("}\n");
        Files.writeString(json, text.toString());
        out.println("results written to " + json.toAbsolutePath());
        out.flush();
    }

    private static long percentile(long[] sorted, int percentile) {
        if (sorted.length == 0) {
            return -1;
        }
        int index = (int) Math.ceil(percentile / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static String ms(long nanos) {
        return nanos < 0 ? "n/a" : String.format("%.1f", nanos / 1e6);
    }

    private static String fmt(double value) {
        return String.format("%.0f", value);
    }

    private static String fmt2(double value) {
        return String.format("%.2f", value);
    }
}
