package io.docjobs.tools.chaos;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.bson.Document;

/**
 * Checks the long jobs ({@link JobKinds.Kind#LONG}), which run for several visibility timeouts on the
 * supervisor's heartbeats through the kills, the pause, the database restart and the network faults.
 * Counted: executions per long job, heartbeat extensions their handlers saw, the smallest slack of
 * an extension (how close a lease came to expiring, on the database's clock: see
 * {@link LeaseWatch}), losses (an execution that stopped because its lease was taken), executions a
 * kill cut short. Checked:
 *
 * <ul>
 *   <li>on a healthy daemon — not killed, not paused, no network fault on its connection, the
 *       database up while the execution ran — the lease never expired: no extension came after the
 *       deadline, the work did not go on longer than a lease after the last extension, and the lease
 *       was not lost (all measured without wall clocks, see {@link LeaseWatch});
 *   <li>every execution after a long job's first has a fault as its cause, never "lease expired with
 *       no fault nearby" (a heartbeat failing on a healthy daemon);
 *   <li>every long job was completed by an execution that really ran its full length, counting the
 *       progress earlier executions saved ({@link Checkpoints}).
 * </ul>
 *
 * Whether a fault touched an execution is {@link #disturbed}; a new kind of fault must be added there.
 */
final class LongJobCheck {
    /** Noise between the handler's polls of its deadline and the records' times: a few milliseconds. */
    private static final Duration CLOCK_TOLERANCE = Duration.ofMillis(100);
    private static final int MAX_LISTED = 10;

    /**
     * What the check found.
     *
     * @param jobs               long jobs enqueued
     * @param executionsPerJob   how many long jobs ran how many times (executions → jobs)
     * @param extensions         heartbeat extensions seen by long jobs' handlers, over all executions
     * @param minSlack           the smallest slack of any extension; null if none was seen
     * @param longestSilence     the longest time from the last extension seen (or the start) to the end of the
     *                           work, over the executions that ended on a healthy daemon; null if none did
     * @param losses             executions that stopped because their lease was lost (taken by another claim)
     * @param killed             executions that never ended (their daemon was killed)
     * @param extraByCause       executions after a long job's first, by cause
     */
    record Findings(int jobs, Map<Integer, Integer> executionsPerJob, long extensions, Duration minSlack,
            Duration longestSilence, int losses,
            int killed, Map<Analysis.Cause, Integer> extraByCause, List<String> violations) {

        int maxExecutions() {
            return executionsPerJob.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        }

        void print(PrintWriter out) {
            out.printf("  long jobs           %,d (executions per job: %s; max %d), %,d lease extensions seen, smallest"
                    + " slack %s, longest silence after the last at the end %s, %,d losses (lease taken while running), %,d"
                    + " cut short by kill -9; runs after the first: %s%n", jobs, executionsPerJob, maxExecutions(), extensions,
                    minSlack == null ? "-" : Analysis.millis(minSlack),
                    longestSilence == null ? "-" : Analysis.millis(longestSilence), losses, killed, causes());
        }

        Document json() {
            Document perJob = new Document();
            executionsPerJob.forEach((executions, count) -> perJob.append(String.valueOf(executions), count));
            Document causes = new Document();
            extraByCause.forEach((cause, count) -> causes.append(cause.name().toLowerCase(), count));
            return new Document("jobs", jobs).append("executionsPerJob", perJob).append("maxExecutions", maxExecutions())
                    .append("leaseExtensions", extensions)
                    .append("minSlackMs", minSlack == null ? null : minSlack.toMillis())
                    .append("longestSilenceMs", longestSilence == null ? null : longestSilence.toMillis())
                    .append("losses", losses)
                    .append("killed", killed).append("extraExecutionsByCause", causes).append("violations", violations);
        }

        private String causes() {
            return extraByCause.isEmpty() ? "none" : extraByCause.entrySet().stream()
                    .map(e -> e.getKey().name().toLowerCase() + " " + e.getValue()).collect(Collectors.joining(", "));
        }
    }

    private final FaultLog faults;
    private final Analysis analysis;

    LongJobCheck(FaultLog faults, Analysis analysis) {
        this.faults = faults;
        this.analysis = analysis;
    }

    /**
     * @param jobs       the producer's jobs by id, with their kinds (only the long ones are looked at)
     * @param executions every recorded execution
     */
    Findings check(Map<String, JobKinds.Job> jobs, Collection<Execution> executions) {
        Map<String, List<Execution>> byJob = executions.stream()
                .filter(e -> jobs.getOrDefault(e.job(), JobKinds.Job.SHORT).kind() == JobKinds.Kind.LONG)
                .collect(Collectors.groupingBy(Execution::job));
        Map<Integer, Integer> perJob = new TreeMap<>();
        Map<Analysis.Cause, Integer> causes = new EnumMap<>(Analysis.Cause.class);
        List<String> violations = new ArrayList<>();
        long extensions = 0;
        Duration minSlack = null;
        Duration longestSilence = null;
        int losses = 0;
        int killed = 0;
        int longJobs = 0;
        for (Map.Entry<String, JobKinds.Job> entry : jobs.entrySet()) {
            if (entry.getValue().kind() != JobKinds.Kind.LONG) {
                continue;
            }
            longJobs++;
            String id = entry.getKey();
            List<Execution> runs = new ArrayList<>(byJob.getOrDefault(id, List.of()));
            runs.sort(Comparator.comparingInt(Execution::attempt).thenComparing(Execution::start));
            perJob.merge(runs.size(), 1, Integer::sum);
            for (Execution run : runs) {
                Execution.LongRun lease = run.longRun();
                if (run.end() == null) {
                    killed++;
                }
                if (lease != null) {
                    extensions += lease.extensions();
                    if (lease.minSlack() != null && (minSlack == null || lease.minSlack().compareTo(minSlack) < 0)) {
                        minSlack = lease.minSlack();
                    }
                }
                if (Effects.CANCELLED.equals(run.outcome())) {
                    losses++;
                }
                healthyLeaseKept(id, entry.getValue(), run).ifPresent(violations::add);
                if (lease != null && lease.sinceLastExtension() != null && !disturbed(run, entry.getValue().lease())
                        && (longestSilence == null || lease.sinceLastExtension().compareTo(longestSilence) > 0)) {
                    longestSilence = lease.sinceLastExtension();
                }
            }
            for (int i = 1; i < runs.size(); i++) {
                Analysis.Cause cause = analysis.cause(runs.get(i - 1), runs.get(i));
                causes.merge(cause, 1, Integer::sum);
                if (cause == Analysis.Cause.OTHER) {
                    violations.add("long job " + id + " ran again with no fault to explain it (a heartbeat failed on a"
                            + " healthy daemon?): " + runs.get(i - 1) + "; then " + runs.get(i));
                }
            }
            Duration length = entry.getValue().length();
            if (runs.stream().noneMatch(run -> finishedTheWork(run, length))) {
                violations.add("long job " + id + " has no execution that finished its " + Analysis.millis(length)
                        + " of work (with what earlier executions had saved): " + runs);
            }
        }
        List<String> listed = new ArrayList<>(violations.subList(0, Math.min(MAX_LISTED, violations.size())));
        if (violations.size() > MAX_LISTED) {
            listed.add("... and " + (violations.size() - MAX_LISTED) + " more long-job violations");
        }
        return new Findings(longJobs, perJob, extensions, minSlack, longestSilence, losses, killed, causes, listed);
    }

    /** Whether {@code run} finished and its part, with the progress it resumed from, makes the whole length. */
    private static boolean finishedTheWork(Execution run, Duration length) {
        if (!run.finished() || run.longRun() == null) {
            return false;
        }
        Duration done = run.longRun().resumedFrom().plus(Duration.between(run.start(), run.end()));
        return !done.plus(CLOCK_TOLERANCE).minus(length).isNegative();
    }

    /** A violation if {@code run}'s lease expired or was lost while no fault touched it. */
    private Optional<String> healthyLeaseKept(String id, JobKinds.Job job, Execution run) {
        if (run.end() == null || disturbed(run, job.lease())) {
            return Optional.empty();
        }
        Execution.LongRun lease = run.longRun();
        String what = "long job " + id + " " + run + " on a healthy daemon: ";
        if (lease == null) {
            return Optional.of(what + "its handler recorded no lease figures");
        }
        if (lease.minSlack() != null && lease.minSlack().plus(CLOCK_TOLERANCE).isNegative()) {
            return Optional.of(what + "a heartbeat extended the lease " + Analysis.millis(lease.minSlack().negated())
                    + " after it had expired");
        }
        if (lease.leaseLost() || Effects.CANCELLED.equals(run.outcome())) {
            return Optional.of(what + "its lease was lost");
        }
        if (lease.sinceLastExtension() != null && lease.sinceLastExtension().compareTo(job.lease()) > 0) {
            return Optional.of(what + "its work ended " + Analysis.millis(lease.sinceLastExtension())
                    + " after the last extension it saw (or its start), longer than its lease of "
                    + Analysis.millis(job.lease()));
        }
        return Optional.empty();
    }

    /**
     * Whether a fault touched {@code run} while it ran: its daemon was killed or paused, the database
     * was down, or a network fault (latency, drops, half-open connections, a partition) was on its
     * daemon's connection. A network fault counts from a lease before the start: the daemon may have
     * claimed the entry that much ahead of the handler, and its heartbeats began with the claim. (A
     * fault the driver adds later must be added here.)
     */
    boolean disturbed(Execution run, Duration lease) {
        Instant end = run.end() != null ? run.end() : Instant.MAX;
        // A daemon is killed once, but mostly long after some of its executions ended: those were healthy.
        boolean killed = faults.kills().stream().anyMatch(kill -> kill.pid() == run.pid() && kill.at().isAfter(run.start())
                && kill.at().isBefore(end));
        boolean paused = faults.stops().stream().anyMatch(stop -> stop.pid() == run.pid() && stop.stoppedAt().isBefore(end)
                && (stop.resumedAt() == null || stop.resumedAt().isAfter(run.start())));
        boolean databaseDown = faults.restarts().stream().anyMatch(r -> r.down().isBefore(end) && r.up().isAfter(run.start()));
        Instant claimedBy = run.start().minus(lease);
        boolean network = faults.network().stream().anyMatch(n -> n.pid() == run.pid() && n.overlaps(claimedBy, end));
        return killed || paused || databaseDown || network;
    }
}
