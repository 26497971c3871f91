package io.docjobs.tools.bench;

import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Supervisor;
import io.docjobs.SupervisorConfig;
import io.docjobs.daemon.DurationConverter;
import io.docjobs.daemon.LogLevels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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

    @Option(names = "--workers", paramLabel = "W", defaultValue = "8",
            description = "worker slots W of the supervisor, the limit and the peer-style loop, threads of the naive"
                    + " loop (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--max-batch", paramLabel = "B",
            description = "the supervisors' maxBatch, and the limit's, at every worker count (default: the supervisor's"
                    + " default)")
    Integer maxBatchOption;

    /** {@code --max-batch}, or the supervisor's default. */
    private int maxBatch;

    @Option(names = "--prefetch", paramLabel = "P",
            description = "the supervisors' prefetch (the most jobs claimed ahead of free workers), and the limit's"
                    + " extra slots, at every worker count (default: the supervisor's default; 0 for none)")
    Integer prefetchOption;

    /** {@code --prefetch}, or the supervisor's default. */
    private int prefetch;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "3s", converter = DurationConverter.Positive.class,
            description = "time cap of each throughput run (default: ${DEFAULT-VALUE})")
    Duration duration;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "5",
            description = "runs per throughput figure; median and spread (default: ${DEFAULT-VALUE})")
    int repeat;

    @Option(names = "--backlogs", paramLabel = "N,N,...", defaultValue = "2000,5000,20000,50000", split = ",",
            description = "backlogs of the scaling table (default: ${DEFAULT-VALUE})")
    int[] backlogs;

    @Option(names = "--scale-repeat", paramLabel = "N", defaultValue = "1",
            description = "rounds of every loop per cell of the scaling table; medians, and ratios taken within a round"
                    + " (default: ${DEFAULT-VALUE})")
    int scaleRepeat;

    @Option(names = "--scale-workers", paramLabel = "W,W,...", defaultValue = "8,16", split = ",",
            description = "worker counts of the scaling table (default: ${DEFAULT-VALUE})")
    int[] scaleWorkers;

    @Option(names = "--loops", paramLabel = "L,L,...", defaultValue = "docjobs,limit,peer,naive", split = ",",
            description = "loops of the scaling table: docjobs, limit, peer, naive (default: ${DEFAULT-VALUE})")
    List<String> loops;

    @Option(names = "--fleet", paramLabel = "N,N,...", defaultValue = "1,4,16", split = ",",
            description = "supervisors sharing one queue, each with W workers (default: ${DEFAULT-VALUE})")
    int[] fleet;

    @Option(names = "--fleet-backlog", paramLabel = "N", defaultValue = "5000",
            description = "backlog of the fleet runs (default: ${DEFAULT-VALUE})")
    int fleetBacklog;

    @Option(names = "--shapes", description = "also print, per run of the scaling table and the fleet, each command"
            + " shape's round trips per job and client-side time (for profiling)")
    boolean printShapes;

    @Option(names = "--only", paramLabel = "S,S,...", split = ",",
            defaultValue = "throughput,scaling,fleet,enqueue,latency,idle,heartbeat",
            description = "sections to run (default: all: ${DEFAULT-VALUE})")
    List<String> sections;

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
            backlogs = new int[] {200, 500};
            scaleWorkers = new int[] {8, 16};
            fleet = new int[] {1, 4};
            fleetBacklog = 300;
            duration = Duration.ofSeconds(1);
        }
        // The supervisor as users get it, unless told otherwise.
        maxBatch = maxBatchOption == null ? SupervisorConfig.DEFAULT_MAX_BATCH : maxBatchOption;
        prefetch = prefetchOption == null ? SupervisorConfig.DEFAULT_PREFETCH : prefetchOption;
        if (prefetch < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--prefetch was " + prefetch
                    + " but must be 0 or more");
        }
        Duration cap = duration;
        atLeastOne("--jobs", jobs);
        atLeastOne("--workers", workers);
        atLeastOne("--max-batch", maxBatch);
        atLeastOne("--repeat", repeat);
        atLeastOne("--scale-repeat", scaleRepeat);
        atLeastOne("--fleet-backlog", fleetBacklog);
        for (int backlog : backlogs) {
            atLeastOne("--backlogs", backlog);
        }
        for (int w : scaleWorkers) {
            atLeastOne("--scale-workers", w);
        }
        for (int n : fleet) {
            atLeastOne("--fleet", n);
        }
        for (String loop : loops) {
            if (!LOOPS.contains(loop)) {
                throw new IllegalArgumentException("--loops had \"" + loop + "\" but each must be one of " + LOOPS);
            }
        }
        for (String section : sections) {
            if (!SECTIONS.contains(section)) {
                throw new IllegalArgumentException("--only had \"" + section + "\" but each must be one of " + SECTIONS);
            }
        }
        LogLevels.quiet("io.docjobs");
        try (BenchDatabase db = new BenchDatabase(uri)) {
            out.printf("docjobs bench on %s: %d CPUs, Java %s, jobs %d, workers %d, maxBatch %d, cap %s, %d run(s) each,"
                    + " %d round(s) per scaling cell, load average %s%n", db.description(),
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), jobs, workers, maxBatch,
                    cap, repeat, scaleRepeat, loadAverage());
            figures.put("database", db.description());
            figures.put("cpus", String.valueOf(Runtime.getRuntime().availableProcessors()));
            figures.put("java", System.getProperty("java.version"));
            figures.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            figures.put("load_average_at_start", loadAverage());
            if (sections.contains("throughput")) {
                throughput(db, cap);
            }
            if (sections.contains("scaling")) {
                scaling(db, cap);
            }
            if (sections.contains("fleet")) {
                fleet(db, cap);
            }
            if (sections.contains("enqueue")) {
                enqueue(db);
            }
            if (sections.contains("latency")) {
                latency(db, cap);
            }
            if (sections.contains("idle")) {
                idle(db);
            }
            if (sections.contains("heartbeat")) {
                heartbeat(db);
            }
            figures.put("load_average_at_end", loadAverage());
        }
        report();
        return 0;
    }

    private static final List<String> LOOPS = List.of("docjobs", "limit", "peer", "naive");
    private static final List<String> SECTIONS = List.of("throughput", "scaling", "fleet", "enqueue", "latency", "idle",
            "heartbeat");

    private static void atLeastOne(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " was " + value + " but must be at least 1");
        }
    }

    private static String loadAverage() {
        return String.format("%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    // ------------------------------------------------------------------ measured runs

    /**
     * One measured run: jobs per second, jobs completed, claim calls made, and the commands sent
     * meanwhile (by kind, with claim conflicts) as the client's command listener counted them.
     */
    record Measure(double perSecond, long jobs, long claims, CommandCounter.Snapshot counts, Map<String, long[]> shapes) {
        double roundTripsPerJob() {
            return counts.total() / (double) Math.max(1, jobs);
        }

        /** Sorted candidate reads per claim call, minus one: the extra passes claims needed. */
        double secondPasses() {
            return claims == 0 ? 0 : Math.max(0, counts.sortedFinds() / (double) claims - 1);
        }

        double lostPerJob() {
            return counts.claimsLost() / (double) Math.max(1, jobs);
        }

        double jobsPerClaim() {
            return claims == 0 ? 0 : jobs / (double) claims;
        }
    }

    private Measure measure(BenchDatabase db, String loop, int backlog, int w, Duration cap) {
        return switch (loop) {
            case "docjobs" -> fleetRun(db, 1, backlog, w, cap);
            case "limit" -> loopRun(db, backlog, (queue, entries) -> Loops.limit(queue, w, prefetch, maxBatch, backlog, cap));
            case "peer" -> loopRun(db, backlog, (queue, entries) -> Loops.peerStyle(entries, w, backlog, cap));
            case "naive" -> loopRun(db, backlog, (queue, entries) -> Loops.naive(entries, w, backlog, cap));
            default -> throw new IllegalArgumentException(loop);
        };
    }

    private interface LoopBody {
        Loops.Run run(JobQueue queue, com.mongodb.client.MongoCollection<Document> entries);
    }

    private Measure loopRun(BenchDatabase db, int backlog, LoopBody body) {
        String name = db.freshCollection();
        try (JobQueue queue = db.queue(name)) {
            BenchDatabase.fill(queue, backlog);
            CommandCounter.Snapshot before = db.counts();
            Map<String, long[]> shapesBefore = db.shapes();
            window("from");
            Loops.Run run = body.run(queue, db.collection(name));
            window("to");
            return new Measure(run.perSecond(), run.jobs(), run.claims(), db.counts().minus(before),
                    CommandCounter.minus(db.shapes(), shapesBefore));
        } finally {
            db.drop(name);
        }
    }

    /**
     * {@code supervisors} supervisors of {@code w} workers each, each on its own {@link JobQueue}
     * over one collection (as separate daemons would be), draining {@code backlog} with a no-op
     * handler until done or {@code cap}. Claim calls are the supervisors' polls.
     */
    private Measure fleetRun(BenchDatabase db, int supervisors, int backlog, int w, Duration cap) {
        String name = db.freshCollection();
        List<SimpleMeterRegistry> registries = new ArrayList<>();
        List<JobQueue> queues = new ArrayList<>();
        List<Supervisor> running = new ArrayList<>();
        try {
            for (int i = 0; i < supervisors; i++) {
                queues.add(db.queue(name));
            }
            BenchDatabase.fill(queues.get(0), backlog);
            CommandCounter.Snapshot before = db.counts();
            Map<String, long[]> shapesBefore = db.shapes();
            window("from");
            long start = System.nanoTime();
            long deadline = start + cap.toNanos();
            Pace pace = new Pace(start, deadline, (long) supervisors * (w + prefetch));
            for (int i = 0; i < supervisors; i++) {
                SimpleMeterRegistry registry = new SimpleMeterRegistry();
                registries.add(registry);
                running.add(Supervisor.builder(queues.get(i)).name("bench-" + i).workers(w)
                        .maxBatch(maxBatch).prefetch(prefetch)
                        .meterRegistry(registry)
                        .handle(BenchDatabase.TYPE, job -> { }).build().start());
            }
            // Watched through the counters themselves once they exist: searching every registry every
            // 2 ms took a tenth of the CPU samples of a run (JFR), a cost the loops compared have not.
            Map<SimpleMeterRegistry, io.micrometer.core.instrument.Counter> successes = new java.util.HashMap<>();
            for (long done = 0; done < backlog && System.nanoTime() < deadline; done = (long) finished(registries, successes)) {
                pace.completed(done);
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
            long end = System.nanoTime();
            long jobsDone = (long) finished(registries, successes);
            pace.completedAt(jobsDone, end);
            window("to");
            double perSecond = pace.perSecond(jobsDone, end, jobsDone < backlog);
            CommandCounter.Snapshot counts = db.counts().minus(before);
            double polls = registries.stream().mapToDouble(registry -> sum(registry, "docjobs.polls")).sum();
            return new Measure(perSecond, jobsDone, (long) polls, counts, CommandCounter.minus(db.shapes(), shapesBefore));
        } finally {
            running.forEach(Supervisor::close);
            queues.forEach(JobQueue::close);
            db.drop(name);
        }
    }

    /** Jobs the supervisors finished with success, reading each registry's counter from {@code found} once it exists. */
    private static double finished(List<SimpleMeterRegistry> registries,
            Map<SimpleMeterRegistry, io.micrometer.core.instrument.Counter> found) {
        double sum = 0;
        for (SimpleMeterRegistry registry : registries) {
            io.micrometer.core.instrument.Counter counter = found.get(registry);
            if (counter == null) {
                counter = registry.find("docjobs.jobs.finished").tag("outcome", "success").counter();
                if (counter == null) {
                    continue;
                }
                found.put(registry, counter);
            }
            sum += counter.count();
        }
        return sum;
    }

    private static double sum(SimpleMeterRegistry registry, String counter) {
        return registry.find(counter).counters().stream().mapToDouble(c -> c.count()).sum();
    }

    // ------------------------------------------------------------------ 1-4 throughput

    private void throughput(BenchDatabase db, Duration cap) {
        warmUp(db, LOOPS, jobs, workers, cap);
        // Rounds of every loop in turn, as in the scaling table: a ratio is taken within a round, so
        // load that comes and goes on a shared machine moves both sides of it.
        Map<String, List<Measure>> rounds = new LinkedHashMap<>();
        LOOPS.forEach(loop -> rounds.put(loop, new ArrayList<>()));
        long jitBefore = jitMillis();
        for (int round = 1; round <= repeat; round++) {
            for (String loop : inRound(LOOPS, round)) {
                progress(loop + ", " + jobs + " jobs, " + workers + " workers, round " + round + " of " + repeat);
                rounds.get(loop).add(measure(db, loop, jobs, workers, cap));
            }
        }
        figures.put("throughput_jit_ms_in_measured_rounds", String.valueOf(jitMillis() - jitBefore));
        Map<String, Measure> medians = new LinkedHashMap<>();
        rounds.forEach((loop, runs) -> medians.put(loop, median(runs)));
        String[] names = {
            "docjobs end to end: Supervisor, " + workers + " workers, maxBatch " + maxBatch + ", prefetch " + prefetch
                    + ", no-op handler",
            "limit: docjobs' claim/claimBatch + doneAll per claimed batch via JobConsumer, 1 claim thread, " + workers + " ack threads",
            "peer-style: sorted read of free slots, updateOne by _id+state+version each, delete each",
            "naive: " + workers + " threads, sorted findOneAndUpdate + delete"};
        int i = 0;
        for (Map.Entry<String, Measure> entry : medians.entrySet()) {
            Measure m = entry.getValue();
            table.add(new String[] {names[i++], fmt(m.perSecond()), "jobs/s", "spread " + spreads.get(m) + "; "
                    + fmt2(m.roundTripsPerJob()) + " round trips/job ("
                    + m.counts().breakdown(m.jobs()) + "), " + fmt2(m.jobsPerClaim()) + " jobs/claim call"});
            figures.put(entry.getKey() + "_jobs_per_s", fmt(m.perSecond()));
            figures.put(entry.getKey() + "_round_trips_per_job", fmt2(m.roundTripsPerJob()));
            figures.put(entry.getKey() + "_jobs_per_claim", fmt2(m.jobsPerClaim()));
        }
        ratio("framework_ratio", "framework_ratio = docjobs / limit, median of the rounds' ratios (goal >= 0.9; <= 1 by"
                + " construction, but for noise)", medianRatio(rounds, "limit"));
        ratio("peer_gain", "docjobs / peer-style (goal >= 5 at 5k and 20k)", medianRatio(rounds, "peer"));
        ratio("design_gain", "docjobs / naive", medianRatio(rounds, "naive"));
        capacity = medians.get("docjobs").perSecond();
    }

    /** The median of docjobs' throughput over {@code other}'s, each taken within one round. */
    private static double medianRatio(Map<String, List<Measure>> rounds, String other) {
        List<Measure> ours = rounds.get("docjobs");
        double[] perRound = new double[ours.size()];
        for (int i = 0; i < perRound.length; i++) {
            perRound[i] = ours.get(i).perSecond() / rounds.get(other).get(i).perSecond();
        }
        return middle(perRound);
    }

    private double capacity;

    /** Warm-up rounds at most: enough for the JIT to settle on the loops' code in every run seen here. */
    static final int MAX_WARM_UP_ROUNDS = 6;
    /** A warm-up round whose JIT compilation took less than this share of its time ends the warm-up. */
    static final double JIT_QUIET_SHARE = 0.05;

    /**
     * Rounds of every loop until the JIT compiles little during one (at least two rounds, at most
     * {@value #MAX_WARM_UP_ROUNDS}): compiling the embedded server's query code takes a core for
     * seconds, and a measured run that shares the 2 cores with it says more about when the
     * compiler ran than about the loop.
     */
    private void warmUp(BenchDatabase db, List<String> loopsToWarm, int backlog, int w, Duration cap) {
        int most = quick ? 1 : MAX_WARM_UP_ROUNDS;
        for (int round = 1; round <= most; round++) {
            long jitBefore = jitMillis();
            long start = System.nanoTime();
            for (String loop : loopsToWarm) {
                progress("warm-up round " + round + ": " + loop + ", " + backlog + " jobs, " + w + " workers");
                measure(db, loop, backlog, w, cap);
            }
            long jit = jitMillis() - jitBefore;
            long wall = (System.nanoTime() - start) / 1_000_000;
            progress("warm-up round " + round + ": the JIT compiled for " + jit + " ms of its " + wall + " ms");
            if (round >= 2 && jit >= 0 && jit < wall * JIT_QUIET_SHARE || round == most) {
                figures.put("warm_up_rounds", String.valueOf(round));
                return;
            }
        }
    }

    /** Time the JIT compilers spent so far, in ms; -1 where the JVM does not tell. */
    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : -1;
    }

    /**
     * The order of the loops in round {@code round}: as given in odd rounds, reversed in even ones,
     * so that a loop that gains from running first (a fresh heap, a server just idle) does not
     * gain in every round.
     */
    static List<String> inRound(List<String> loopsInOrder, int round) {
        if (round % 2 != 0) {
            return loopsInOrder;
        }
        List<String> reversed = new ArrayList<>(loopsInOrder);
        java.util.Collections.reverse(reversed);
        return reversed;
    }

    // ------------------------------------------------------------------ 5 scaling

    private void scaling(BenchDatabase db, Duration cap) {
        if (!sections.contains("throughput")) {
            warmUp(db, loops, jobs, scaleWorkers[0], cap); // classes loaded and code compiled before the first measured run
        }
        for (int w : scaleWorkers) {
            for (int backlog : backlogs) {
                // Rounds of every loop in turn: a ratio is taken within a round, so load that comes
                // and goes on a shared machine moves both sides of it.
                Map<String, List<Measure>> rounds = new LinkedHashMap<>();
                loops.forEach(loop -> rounds.put(loop, new ArrayList<>()));
                for (int round = 1; round <= scaleRepeat; round++) {
                    for (String loop : inRound(loops, round)) {
                        progress("backlog " + backlog + ", " + w + " workers: " + loop + ", round " + round + " of " + scaleRepeat);
                        rounds.get(loop).add(measure(db, loop, backlog, w, cap));
                    }
                }
                Map<String, Measure> cell = new LinkedHashMap<>();
                rounds.forEach((loop, runs) -> {
                    List<Measure> sorted = new ArrayList<>(runs);
                    sorted.sort(java.util.Comparator.comparingDouble(Measure::perSecond));
                    cell.put(loop, sorted.get(sorted.size() / 2));
                });
                StringBuilder values = new StringBuilder();
                StringBuilder trips = new StringBuilder();
                for (Map.Entry<String, Measure> entry : cell.entrySet()) {
                    Measure m = entry.getValue();
                    values.append(values.length() == 0 ? "" : " / ").append(fmt(m.perSecond()));
                    trips.append(trips.length() == 0 ? "" : " / ").append(fmt2(m.roundTripsPerJob()));
                    String key = "backlog_" + backlog + "_w" + w + "_" + entry.getKey();
                    figures.put(key + "_jobs_per_s", fmt(m.perSecond()));
                    figures.put(key + "_round_trips_per_job", fmt2(m.roundTripsPerJob()));
                    figures.put(key + "_jobs_per_claim", fmt2(m.jobsPerClaim()));
                }
                String ratios = "";
                if (cell.containsKey("docjobs")) {
                    for (String other : List.of("limit", "peer", "naive")) {
                        if (cell.containsKey(other)) {
                            double[] perRound = new double[scaleRepeat];
                            for (int i = 0; i < scaleRepeat; i++) {
                                perRound[i] = rounds.get("docjobs").get(i).perSecond() / rounds.get(other).get(i).perSecond();
                            }
                            double r = middle(perRound);
                            ratios += " docjobs/" + other + " " + fmt2(r) + ";";
                            figures.put("backlog_" + backlog + "_w" + w + "_docjobs_over_" + other, fmt2(r));
                        }
                    }
                }
                cell.forEach((loop, m) -> shapes("backlog " + backlog + ", " + w + " workers, " + loop, m));
                table.add(new String[] {"backlog " + backlog + ", " + w + " workers: " + String.join(" / ", cell.keySet()),
                        values.toString(), "jobs/s", "round trips/job " + trips + ";" + ratios});
            }
        }
    }

    private final List<String> shapeLines = new ArrayList<>();

    /** With {@code --shapes}: each command shape of a run, per job, with its mean and share of the commands' time. */
    private void shapes(String run, Measure m) {
        if (!printShapes) {
            return;
        }
        long all = m.shapes().values().stream().mapToLong(counts -> counts[1]).sum();
        shapeLines.add(run + ": " + m.jobs() + " jobs at " + fmt(m.perSecond()) + " jobs/s, " + fmt2(m.jobsPerClaim())
                + " jobs/claim call, command time " + String.format("%.0f", all / 1e6) + " ms");
        m.shapes().entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).forEach(entry -> {
            long[] counts = entry.getValue();
            shapeLines.add(String.format("    %-70s %6.3f/job  mean %7.2f ms  %5.1f %% of command time", entry.getKey(),
                    counts[0] / (double) Math.max(1, m.jobs()), counts[1] / 1e6 / counts[0], 100.0 * counts[1] / Math.max(1, all)));
        });
    }

    // ------------------------------------------------------------------ fleet contention

    private void fleet(BenchDatabase db, Duration cap) {
        for (int supervisors : fleet) {
            progress(supervisors + " supervisors x " + workers + " workers sharing one queue of " + fleetBacklog);
            Measure m = fleetRun(db, supervisors, fleetBacklog, workers, cap);
            shapes("fleet of " + supervisors, m);
            table.add(new String[] {"fleet: " + supervisors + " supervisors x " + workers + " workers, one queue of "
                    + fleetBacklog, fmt(m.perSecond()), "jobs/s", fmt2(m.roundTripsPerJob()) + " round trips/job, "
                    + fmt2(m.lostPerJob()) + " claims lost/job (" + m.counts().claimsLost() + " of "
                    + m.counts().claimTargets() + " targeted), " + fmt2(m.secondPasses()) + " extra candidate reads/claim call, "
                    + fmt2(m.jobsPerClaim()) + " jobs/claim call"});
            String key = "fleet_" + supervisors;
            figures.put(key + "_jobs_per_s", fmt(m.perSecond()));
            figures.put(key + "_round_trips_per_job", fmt2(m.roundTripsPerJob()));
            figures.put(key + "_claims_lost_per_job", fmt2(m.lostPerJob()));
            figures.put(key + "_extra_reads_per_claim", fmt2(m.secondPasses()));
            figures.put(key + "_jobs_per_claim", fmt2(m.jobsPerClaim()));
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
            Supervisor supervisor = Supervisor.builder(queue).name("latency").workers(workers)
                    .maxBatch(maxBatch).meterRegistry(new SimpleMeterRegistry()).handle(BenchDatabase.TYPE, job -> {
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

    /** The median of {@code values} (the mean of the middle two for an even count); NaN for none. */
    static double middle(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return (sorted[(sorted.length - 1) / 2] + sorted[sorted.length / 2]) / 2;
    }

    /** The run of median throughput among {@code --repeat} runs; its spread is kept for the table. */
    /** The median run of {@code runs} by throughput, its spread recorded for the table. */
    private Measure median(List<Measure> measured) {
        List<Measure> runs = new ArrayList<>(measured);
        runs.sort(java.util.Comparator.comparingDouble(Measure::perSecond));
        Measure median = runs.get(runs.size() / 2);
        spreads.put(median, fmt(runs.get(0).perSecond()) + "–" + fmt(runs.get(runs.size() - 1).perSecond()));
        return median;
    }

    private final Map<Measure, String> spreads = new java.util.IdentityHashMap<>();

    private void ratio(String key, String name, double value) {
        table.add(new String[] {name, fmt2(value), "x", ""});
        figures.put(key, fmt2(value));
    }

    /** With {@code --shapes}: when a measured run starts and ends, to cut a profile recording to it. */
    private void window(String edge) {
        if (printShapes) {
            progress("measured run " + edge + " " + java.time.Instant.now());
        }
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
        shapeLines.forEach(out::println);
        if (!shapeLines.isEmpty()) {
            out.println();
        }
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
