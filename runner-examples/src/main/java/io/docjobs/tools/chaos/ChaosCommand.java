package io.docjobs.tools.chaos;

import io.docjobs.daemon.DurationConverter;
import io.docjobs.daemon.LogLevels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code docjobs chaos}: proves at-least-once delivery with real processes. Starts the embedded
 * database as its own process on a file, several daemons on one queue, enqueues jobs whose handler
 * records every execution, and meanwhile kills daemons with {@code kill -9}, pauses one past its
 * leases with {@code SIGSTOP}, restarts the database, injects network faults through a proxy per
 * daemon and skews the daemons' clocks, while two schedules fire every second. Among the jobs are
 * long ones on heartbeats, ones that fail their first attempts, and poison ones ({@link Workload}).
 * At the end it checks that nothing was lost, that every extra execution came from an expired lease
 * or a planned failure (never two valid leases at once), that nothing is stuck, that redelivery was
 * prompt, that every scheduled time was enqueued exactly once and ran, that every job ended
 * completed or (only the poison jobs) dead with its attempts explained, that a partitioned daemon's
 * late acknowledgements were refused, and that no lease deadline followed a skewed clock; exit code
 * 0 if so, 1 otherwise.
 */
@Command(name = "chaos", description = {
        "Chaos run: database and daemons as processes; kill -9 daemons, SIGSTOP one, restart the database, put a faulty"
                + " network (latency, drops, half-open connections, a partition) and skewed clocks between daemons and"
                + " database, while two schedules fire every second and some jobs run long, fail their first attempts or"
                + " always fail; then check that every job was completed or (poison jobs only) dead-lettered, every extra"
                + " execution is explained by an expired lease or a planned failure, no long job's lease expired on a"
                + " healthy daemon, and every scheduled time was enqueued exactly once.",
        "Exit code 0: no violation; 1: violations (each is printed)."})
public final class ChaosCommand implements Callable<Integer> {
    private static final int JOBS = 20_000;
    private static final int SHORT_JOBS = 2_000;
    private static final int SHORT_KILLS = 1;

    @Option(names = "--jobs", paramLabel = "N",
            description = "jobs to enqueue (default " + JOBS + "; " + SHORT_JOBS + " with --short)")
    Integer jobs;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "3",
            description = "daemon processes running at once (default: ${DEFAULT-VALUE}; kills need at least 2)")
    int daemons;

    @Option(names = "--slots", paramLabel = "N", defaultValue = "8", description = "worker slots per daemon (default: ${DEFAULT-VALUE})")
    int slots;

    @Option(names = "--long-slots", paramLabel = "N", defaultValue = "6", description = "more slots per daemon, the most"
            + " long jobs it runs at once (their type's concurrency limit), so that the other jobs keep --slots (default: ${DEFAULT-VALUE})")
    int longSlots;

    @Option(names = "--visibility-timeout", paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.Positive.class, description = "lease length of the jobs (default: ${DEFAULT-VALUE})")
    Duration visibilityTimeout;

    @Option(names = "--kill-every", paramLabel = "DURATION", defaultValue = "3s", converter = DurationConverter.Positive.class,
            description = "kill -9 a random daemon this often and start a replacement (default: ${DEFAULT-VALUE}); never"
                    + " while the previous replacement is still starting, nor the last daemon running")
    Duration killEvery;

    @Option(names = "--kills", paramLabel = "N",
            description = "stop killing after this many (default: no limit; " + SHORT_KILLS + " with --short)")
    Integer kills;

    @Option(names = "--max-duration", paramLabel = "DURATION", defaultValue = "10m", converter = DurationConverter.Positive.class,
            description = "give up after this long; jobs left then are a violation (default: ${DEFAULT-VALUE})")
    Duration maxDuration;

    @Option(names = "--idle-backoff-cap", paramLabel = "DURATION", defaultValue = "250ms",
            converter = DurationConverter.Positive.class,
            description = "the daemons' supervisor.idleBackoffMax (default: ${DEFAULT-VALUE})")
    Duration backoffCap;

    @Option(names = "--margin", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "redelivery may take visibility timeout + back-off cap + this (default: ${DEFAULT-VALUE})")
    Duration margin;

    @Option(names = "--backlog", paramLabel = "N", description = "keep at most this many READY entries in the queue while enqueueing"
            + " (default: workers x slots, one claim for every slot): a redelivered entry waits behind them")
    Integer backlog;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "logs, configuration, database file, chaos-summary.json (default: a new temporary directory)")
    Path workDir;

    @Option(names = "--pause", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "SIGSTOP one daemon holding leases, past their deadline, then SIGCONT it (default: ${DEFAULT-VALUE};"
                    + " --no-pause to skip)")
    boolean pause;

    @Option(names = "--restart-database", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "restart the database process once (default: ${DEFAULT-VALUE}; --no-restart-database to skip)")
    boolean restartDatabase;

    @Option(names = "--long-share", paramLabel = "SHARE",
            description = "share of the jobs that run 2.5 to 4 visibility timeouts on heartbeats (default: "
                    + "0.0025; with --short 0.005, 2.5 to 3 timeouts, all in the first quarter)")
    Double longShare;

    @Option(names = "--retry-share", paramLabel = "SHARE", description = "share of the jobs whose first 1 or 2 attempts"
            + " fail on purpose (default: 0.02)")
    Double retryShare;

    @Option(names = "--poison-share", paramLabel = "SHARE", description = "share of the jobs that fail every attempt and"
            + " must end dead-lettered after " + JobKinds.POISON_MAX_ATTEMPTS + " attempts (default: 0.002)")
    Double poisonShare;

    @Option(names = "--network-faults", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "a TCP proxy per daemon: latency spikes, dropped and half-open connections, a partition past"
                    + " the leases (default: ${DEFAULT-VALUE}; --no-network-faults to skip)")
    boolean networkFaults;

    @Option(names = "--clock-faults", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "daemon clocks off by up to 2 minutes and one jumping, with libfaketime (Debian package"
                    + " libfaketime; without it the run says so and goes on with true clocks) (default: ${DEFAULT-VALUE})")
    boolean clockFaults;

    @Option(names = "--short", description = "the short variant for tests: " + SHORT_JOBS + " jobs, " + SHORT_KILLS
            + " kill, one pause, one database restart, each network fault, the clocks, the schedules, the job mix"
            + " with its long jobs early; well under two minutes on 2 cores")
    boolean shortRun;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException, InterruptedException {
        LogLevels.quiet("io.docjobs");
        int jobCount = jobs != null ? jobs : shortRun ? SHORT_JOBS : JOBS;
        int maxKills = kills != null ? kills : shortRun ? SHORT_KILLS : Integer.MAX_VALUE;
        require(jobCount >= 1, "--jobs was " + jobCount + " but must be at least 1");
        require(daemons >= 1 && daemons <= 50, "--workers was " + daemons + " but must be between 1 and 50");
        require(slots >= 1 && slots <= 1000, "--slots was " + slots + " but must be between 1 and 1000");
        require(longSlots >= 1 && longSlots <= 1000, "--long-slots was " + longSlots + " but must be between 1 and 1000");
        require(maxKills >= 0, "--kills was " + maxKills + " but must be 0 or more");
        int readyBacklog = backlog != null ? backlog : daemons * slots;
        require(readyBacklog >= 1, "--backlog was " + readyBacklog + " but must be at least 1");
        require(positive(visibilityTimeout) && positive(killEvery) && positive(maxDuration) && positive(backoffCap)
                && !margin.isNegative(), "durations must be positive (the margin may be 0)");
        Path dir = workDir != null ? workDir : Files.createTempDirectory("docjobs-chaos-");
        Workload mix = shortRun ? Workload.SHORT : Workload.DEFAULT;
        mix = new Workload(longShare != null ? longShare : mix.longShare(), mix.longSpan(), mix.longMin(), mix.longMax(),
                retryShare != null ? retryShare : mix.retryShare(), poisonShare != null ? poisonShare : mix.poisonShare());
        ChaosSettings settings = new ChaosSettings(jobCount, daemons, slots, longSlots, visibilityTimeout, killEvery, maxKills,
                pause, restartDatabase, maxDuration, backoffCap, margin, readyBacklog, dir, networkFaults, clockFaults, mix);
        return new ChaosRun(settings, spec.commandLine().getOut()).run();
    }

    private static boolean positive(Duration duration) {
        return !duration.isNegative() && !duration.isZero();
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
