package io.docjobs.tools.chaos;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.docjobs.JobEntry;
import io.docjobs.JobQueue;
import io.docjobs.QueueConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chaos run: a database process, daemon processes and this driver, which enqueues jobs, injects
 * faults while they run (see {@link FaultInjector}), and at the end checks the recorded executions
 * against docjobs' promises ({@link Analysis}) and reports ({@link Report}).
 *
 * <p>No child process outlives the run: everything is killed in a {@code finally} block, and by a
 * shutdown hook if the driver itself is stopped (Ctrl-C).
 */
public final class ChaosRun {
    private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);
    private static final String DATABASE = "docjobs";
    private static final String COLLECTION = "jobs";
    private static final String ALL_DONE = "all jobs done";
    private static final long PRODUCER_PERIOD_MS = 20;
    private static final long FAULT_PERIOD_MS = 100;
    private static final long PROGRESS_PERIOD_MS = 250;
    private static final Duration STALE_WORKER_SETTLE = Duration.ofSeconds(3);

    private final ChaosSettings settings;
    private final PrintWriter out;
    private final FaultLog faults = new FaultLog();
    private final List<String> driverErrors = new CopyOnWriteArrayList<>();
    private DaemonSlots slots;
    private String clockStatus;

    public ChaosRun(ChaosSettings settings, PrintWriter out) {
        this.settings = settings;
        this.out = out;
    }

    /**
     * Runs the chaos, prints the report and writes {@code chaos-summary.json} into the work dir.
     *
     * @return 0 if no violation was found, 1 otherwise
     */
    public int run() throws IOException, InterruptedException {
        Path workDir = settings.workDir().toAbsolutePath();
        Files.createDirectories(workDir);
        Launcher launcher = Launcher.locate(ChaosRun.class, workDir);
        DatabaseProcess database = new DatabaseProcess(launcher, freePort(), freshDataFile(workDir));
        Optional<ClockFaults> clocks = settings.clockFaults() ? ClockFaults.create(workDir, faults) : Optional.empty();
        clockStatus = ClockFaultsStatus.describe(settings, clocks);
        slots = DaemonSlots.create(settings.daemons(), database.port(), settings.networkFaults(), clocks);
        Fleet fleet = new Fleet(launcher, DaemonConfigFile.write(workDir, settings),
                Map.of(ChaosHandler.CONNECTION_ENV, database.connectionString(), "DOCJOBS_DATABASE_NAME", DATABASE,
                        "DOCJOBS_DATABASE_COLLECTION", COLLECTION),
                slots, faults, new Random());
        Thread cleanup = new Thread(() -> {
            fleet.destroyAll();
            slots.close();
            database.destroyForcibly();
        }, "chaos-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try {
            out.printf("chaos: work dir %s (logs of every process, configuration, database file, summary)%n", workDir);
            database.start();
            out.printf("chaos: database %s (pid %d), data in %s%n", database.connectionString(), database.process().pid(),
                    workDir.relativize(database.dataFile()));
            out.printf("chaos: network faults %s; clocks: %s%n", settings.networkFaults() ? "on (a proxy per daemon slot)"
                    : "off", clockStatus);
            out.printf("chaos: each daemon has %d slots: long jobs (type %s) take at most %d, the others (%s) the rest%n",
                    settings.workers(), ChaosHandler.LONG_TYPE, settings.longSlots(), ChaosHandler.TYPE);
            Report report;
            // Short timeouts for the driver's own reads: while the database restarts, the progress line
            // should say so rather than hang.
            try (MongoClient client = MongoClients.create(MongoClientSettings.builder()
                    .applyConnectionString(new ConnectionString(database.connectionString()))
                    .applicationName("docjobs-chaos-driver")
                    .applyToClusterSettings(c -> c.serverSelectionTimeout(2, TimeUnit.SECONDS))
                    .applyToSocketSettings(s -> s.connectTimeout(2, TimeUnit.SECONDS).readTimeout(30, TimeUnit.SECONDS))
                    .build());
                    JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString())
                            .database(DATABASE).collection(COLLECTION).build())) {
                QueueView view = new QueueView(client.getDatabase(DATABASE), COLLECTION);
                ChaosSchedules schedules = new ChaosSchedules(queue.schedules(), view, settings);
                schedules.define();
                fleet.start(settings.daemons());
                schedules.start();
                out.printf("chaos: %d daemons running; schedules %s and %s firing every second; enqueueing %,d jobs%n",
                        settings.daemons(), ChaosSchedules.EVERY_SECOND, ChaosSchedules.CRON_SECONDS, settings.jobs());
                out.flush();
                report = drive(database, fleet, queue, view, schedules);
            }
            report.print(out);
            Path summary = report.writeJson(workDir.resolve("chaos-summary.json"));
            out.println("summary: " + summary);
            out.flush();
            return report.violations().isEmpty() ? 0 : 1;
        } finally {
            cleanup.run();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanup);
            } catch (IllegalStateException e) {
                // The JVM is shutting down: the hook runs anyway, harmlessly.
            }
        }
    }

    private Report drive(DatabaseProcess database, Fleet fleet, JobQueue queue, QueueView view, ChaosSchedules schedules)
            throws InterruptedException {
        Instant started = Instant.now();
        Producer producer = new Producer(queue, view::readyBacklog, settings.jobs(), settings.backlog(),
                settings.visibilityTimeout(), new JobKinds(settings.jobs(), settings.workload(), settings.visibilityTimeout()));
        Progress progress = new Progress(view, producer, faults, fleet, settings.jobs(), out);
        String endReason = runUntilDone(database, fleet, producer, progress);
        progress.print(true);

        List<ScheduleCheck.Window> windows = stopSchedules(schedules);
        long stuck = stuckLeased(view, progress);
        Map<String, Integer> stopProblems = new TreeMap<>(fleet.stopAll());
        Map<String, Analysis.Entry> remaining = view.entries();
        List<ScheduleCheck.Entry> scheduledLeft = view.scheduledEntries();
        List<Execution> executions = view.executions();
        List<JobEntry> deadLetters = OutcomeCheck.deadLetters(queue);
        int databaseExit = database.stop();
        if (databaseExit != 0) {
            stopProblems.put("database " + database.process(), databaseExit);
        }
        Analysis.Limits limits = new Analysis.Limits(settings.visibilityTimeout(), settings.backoffCap(),
                settings.margin());
        Analysis analysis = new Analysis(faults, limits);
        Analysis.Findings findings = analysis.analyse(producer.ids(), executions, remaining);
        OutcomeCheck.Findings outcomes = OutcomeCheck.check(producer.jobs(), executions, remaining, deadLetters, analysis);
        LongJobCheck.Findings longJobs = new LongJobCheck(faults, analysis).check(producer.jobs(), executions);
        ScheduleCheck.Findings scheduleFindings = ScheduleCheck.check(windows, executions, scheduledLeft);
        FaultTable faultTable = FaultTable.of(faults, findings, executions, limits.redelivery(),
                PartitionCheck.check(faults, executions, daemon -> DaemonLog.of(settings.workDir().toAbsolutePath(),
                        daemon), settings.visibilityTimeout()),
                ClockCheck.check(executions, faults, settings.visibilityTimeout()), clockStatus, settings.networkFaults());
        return new Report(settings, Duration.between(started, Instant.now()), endReason,
                endReason.equals(ALL_DONE), findings, scheduleFindings, stuck, faults, producer.failedBatches(),
                stopProblems, List.copyOf(driverErrors), limits, outcomes, longJobs, faultTable);
    }

    /**
     * Ends the schedules' part while the daemons still run: every time up to now fired, the
     * schedules paused, then their last jobs run (one whose daemon was killed comes back when its
     * lease expires). Returns the windows of times to check.
     */
    private List<ScheduleCheck.Window> stopSchedules(ChaosSchedules schedules) throws InterruptedException {
        try {
            List<ScheduleCheck.Window> windows = schedules.stop();
            out.println("chaos: schedules paused for the check; waiting for their last jobs");
            out.flush();
            schedules.awaitJobsDone(settings.stuckGrace().multipliedBy(2).plusSeconds(10));
            return windows;
        } catch (RuntimeException e) {
            log.error("could not stop the schedules", e);
            driverErrors.add("stopping the schedules failed: " + e);
            return schedules.unchecked("the driver could not stop them: " + e.getMessage());
        }
    }

    /**
     * Enqueues, injects faults and reports progress on three scheduler threads until every job is
     * done, {@code --max-duration} passes or the driver fails; then stops the faults and resumes a
     * paused daemon. Returns why it ended.
     */
    private String runUntilDone(DatabaseProcess database, Fleet fleet, Producer producer, Progress progress)
            throws InterruptedException {
        ScheduledThreadPoolExecutor producing = scheduler("chaos-producer");
        ScheduledThreadPoolExecutor chaos = scheduler("chaos-faults");
        ScheduledThreadPoolExecutor monitoring = scheduler("chaos-progress");
        CompletableFuture<String> end = new CompletableFuture<>();
        FaultInjector injector = new FaultInjector(settings, fleet, database, producer, faults, chaos, out,
                progress::leasedBy);
        NetworkChaos network = new NetworkChaos(settings, fleet, slots, producer, faults, chaos, out, progress::leasedBy,
                settings.networkFaults());
        try {
            chaos.scheduleWithFixedDelay(guarded(() -> network.tick(progress.completedShare(), progress.jobsRemain()), end),
                    FAULT_PERIOD_MS, FAULT_PERIOD_MS, TimeUnit.MILLISECONDS);
            producing.scheduleWithFixedDelay(guarded(producer::step, end), 0, PRODUCER_PERIOD_MS, TimeUnit.MILLISECONDS);
            chaos.scheduleWithFixedDelay(guarded(() -> injector.tick(progress.completedShare(), progress.jobsRemain()), end),
                    FAULT_PERIOD_MS, FAULT_PERIOD_MS, TimeUnit.MILLISECONDS);
            monitoring.scheduleAtFixedRate(guarded(() -> {
                progress.update();
                progress.print(false);
                if (progress.allDone() && network.settled()) {
                    end.complete(ALL_DONE);
                }
            }, end), PROGRESS_PERIOD_MS, PROGRESS_PERIOD_MS, TimeUnit.MILLISECONDS);
            try {
                return end.get(settings.maxDuration().toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return "--max-duration " + settings.maxDuration().toSeconds() + " s passed";
            } catch (ExecutionException e) {
                throw new IllegalStateException("unreachable: the end is only ever completed normally", e);
            }
        } finally {
            // Not shutdownNow: an interrupted enqueueAll would leave ids the driver never learns, and
            // an interrupted database restart a database half gone.
            for (ScheduledThreadPoolExecutor executor : List.of(producing, monitoring, chaos)) {
                executor.shutdown();
            }
            for (ScheduledThreadPoolExecutor executor : List.of(producing, monitoring, chaos)) {
                if (!executor.awaitTermination(2, TimeUnit.MINUTES)) {
                    driverErrors.add("a driver task did not finish within 2 minutes");
                    executor.shutdownNow();
                }
            }
            // Pending ends were dropped with the scheduler: a partition left on would keep its daemon from draining.
            network.endAll();
            if (fleet.resumeAll() > 0) {
                // Let the stale worker finish what it was doing: its acknowledgements must be refused
                // (the leases moved on), which is the point of pausing it.
                TimeUnit.MILLISECONDS.sleep(STALE_WORKER_SETTLE.toMillis());
            }
        }
    }

    /**
     * LEASED entries whose deadline passed more than the grace ago, counted while the daemons still
     * run. If jobs are left (the run timed out), it first waits one grace period, so that leases
     * of daemons killed at the last moment had their chance to be claimed again.
     */
    private long stuckLeased(QueueView view, Progress progress) throws InterruptedException {
        if (!progress.allDone()) {
            TimeUnit.MILLISECONDS.sleep(settings.stuckGrace().toMillis());
        }
        return view.leasedExpiredBefore(Instant.now().minus(settings.stuckGrace()));
    }

    /** A task that the scheduler keeps running; a failure of the driver itself ends the run. */
    private Runnable guarded(Task task, CompletableFuture<String> end) {
        return () -> {
            try {
                task.run();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                log.error("chaos driver failed", e);
                driverErrors.add(e.toString());
                end.complete("driver error: " + e.getMessage());
            }
        };
    }

    /** A scheduled task that may be interrupted. */
    @FunctionalInterface
    private interface Task {
        void run() throws InterruptedException;
    }

    private static ScheduledThreadPoolExecutor scheduler(String name) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
        // A pending SIGCONT must not fire after the run ended; the end resumes paused daemons itself.
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        return executor;
    }

    /** The database file, emptied: a previous run in the same work dir must not leak into this one. */
    private static Path freshDataFile(Path workDir) throws IOException {
        Path dataFile = Files.createDirectories(workDir.resolve("db")).resolve("chaos.h2");
        Files.deleteIfExists(dataFile);
        return dataFile;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
