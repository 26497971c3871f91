package io.docjobs.tools.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Checks the chaos run's evidence — the enqueued ids, the recorded executions, what is left in the
 * queue, and the faults the driver injected — against docjobs' promises:
 *
 * <ul>
 *   <li>nothing lost: every enqueued job was completed (an execution finished and the entry is
 *       gone) or is still in the queue;
 *   <li>a job runs again only under a new claim: executions of one job carry distinct, increasing
 *       attempt numbers (each claim increments the attempt atomically, so a repeated number means
 *       two valid leases at once), and none starts before the previous attempt's lease deadline
 *       (fencing: its lease was still valid);
 *   <li>redelivery is prompt for jobs that find a free slot: see {@link #REDELIVERY_DEFINITION}.
 * </ul>
 *
 * Every extra execution is attributed to a cause: the kill or pause of the daemon that ran the
 * previous attempt, the database restart, or none of those. The executions of the jobs the run's
 * schedules enqueued are held to the same rules and counted here with the others; whether each
 * scheduled time got exactly one job is {@link ScheduleCheck}'s part. The queue entries passed in
 * are the producer's only.
 */
final class Analysis {
    /** How the redelivery delay is measured, for the report. */
    static final String REDELIVERY_DEFINITION = "redelivery delay = start of the next execution of a job by another"
            + " daemon minus (a) the moment the driver sent kill -9 or SIGSTOP to the daemon that held its lease, or cut it"
            + " off (leases listed from the queue just before the kill, or just after the stop or cut, and the previous"
            + " attempt's daemon),"
            + " or (b) without such a signal, the previous attempt's last known lease deadline; minus the time the"
            + " database was down in between. Limit = visibility timeout + idle back-off cap + margin: a lease ends at"
            + " most one visibility timeout after its last renewal, which precedes the signal (or the last known"
            + " deadline by at most one heartbeat), and a poller claims within one back-off cap after that. The limit"
            + " holds for jobs of the uncapped type, which always find a free slot; a long job waits for one of its"
            + " type's capped slots, so its redeliveries are reported apart and not held to the limit";

    /** Why a job ran again. */
    enum Cause {
        KILL("kill -9 of the daemon running the previous attempt; its lease expired"),
        STOP("SIGSTOP of the daemon running the previous attempt (stale worker); its lease expired"),
        RESTART("database restart: the previous attempt could not acknowledge; its lease expired"),
        FAILED("the previous attempt failed on purpose (a retry or poison job) and was retried after its back-off"),
        LATENCY("latency spike on the network of the daemon running the previous attempt; its lease expired"),
        DROP("dropped connections of the daemon running the previous attempt; its lease expired"),
        HALF_OPEN("half-open connections of the daemon running the previous attempt; its lease expired"),
        PARTITION("partition of the daemon running the previous attempt (stale worker); its lease expired"),
        UNRECORDED("an attempt in between was claimed but left no record (its daemon died before the handler started)"),
        OTHER("lease expired with no fault injected nearby"),
        SAME_ATTEMPT("VIOLATION: same attempt number as the previous execution (two valid leases at once)");

        final String description;

        Cause(String description) {
            this.description = description;
        }
    }

    /** An entry left in the queue. */
    record Entry(String id, String state, Instant visibleAt) {
    }

    /** The limits the run is checked against. */
    record Limits(Duration visibilityTimeout, Duration backoffCap, Duration margin) {
        Duration redelivery() {
            return visibilityTimeout.plus(backoffCap).plus(margin);
        }
    }

    /** One measured redelivery: {@code next} ran {@code delay} after {@code cause}; {@code before} says what failed. */
    record Redelivery(Execution next, Cause cause, Duration delay, String before) {
        String job() {
            return next.job();
        }

        int attempt() {
            return next.attempt();
        }
    }

    /**
     * What the analysis found; {@code violations} empty means every promise held.
     *
     * @param firstRecordedLater jobs whose first recorded execution is a later attempt: an earlier
     *                           claim never reached the handler (or its effect write failed)
     * @param staleFinishes      executions that finished their work after the next attempt had
     *                           started: stale workers, whose acknowledgement the fencing refuses
     * @param redeliveriesMeasured how many redelivery delays were measured, long jobs' excluded
     * @param redeliveries the measured redelivery delays that the bound applies to: all but the long jobs'
     * @param longJobRedeliveries the long jobs' redelivery delays: not bounded, since a redelivered long
     *                            job waits for one of its type's capped slots, which may all be busy
     */
    record Findings(int enqueued, int completed, List<String> lost, Map<String, Integer> inQueueByState,
            int executions, Map<Cause, Integer> extraByCause, int firstRecordedLater, int staleFinishes,
            Set<String> unknownJobs, int redeliveriesMeasured, Optional<Redelivery> longestRedelivery,
            Map<Cause, Duration> longestByCause, List<String> violations, List<Redelivery> redeliveries,
            List<Redelivery> longJobRedeliveries) {

        int extraExecutions() {
            return extraByCause.values().stream().mapToInt(Integer::intValue).sum();
        }

        int inQueue() {
            return inQueueByState.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * Clocks: executions record local time and the deadline in database time (local time corrected
     * by the offset to the server measured at start-up); on one host they agree to a few
     * milliseconds. This tolerance keeps that noise from looking like overlapping leases.
     */
    private static final Duration CLOCK_TOLERANCE = Duration.ofMillis(100);
    private static final int MAX_LISTED = 20;
    /** A job claimed just before SIGSTOP starts its handler at most this long after SIGCONT. */
    private static final Duration STALE_START_WINDOW = Duration.ofSeconds(5);

    private final FaultLog faults;
    private final Limits limits;

    Analysis(FaultLog faults, Limits limits) {
        this.faults = faults;
        this.limits = limits;
    }

    Findings analyse(Set<String> enqueued, Collection<Execution> executions, Map<String, Entry> remaining) {
        List<String> violations = new ArrayList<>();
        Map<String, List<Execution>> byJob = executions.stream().collect(Collectors.groupingBy(Execution::job));
        byJob.values().forEach(runs -> runs.sort(Comparator.comparingInt(Execution::attempt)
                .thenComparing(Execution::start)));

        // Jobs of the schedules are checked by ScheduleCheck; here only their extra executions count.
        Set<String> scheduled = executions.stream().filter(Execution::scheduled).map(Execution::job)
                .collect(Collectors.toSet());
        Set<String> completed = new HashSet<>();
        byJob.forEach((job, runs) -> {
            if (!scheduled.contains(job) && !remaining.containsKey(job) && runs.stream().anyMatch(Execution::finished)) {
                completed.add(job);
            }
        });
        List<String> lost = enqueued.stream().filter(id -> !completed.contains(id) && !remaining.containsKey(id))
                .sorted().toList();
        if (!lost.isEmpty()) {
            violations.add(lost.size() + " jobs lost (neither completed nor in the queue), e.g. "
                    + describe(lost.subList(0, Math.min(5, lost.size())), byJob));
        }
        Map<String, Integer> byState = new TreeMap<>();
        remaining.values().forEach(entry -> byState.merge(entry.state(), 1, Integer::sum));
        // Dead letters are OutcomeCheck's part: poison jobs must end dead, no other job may.
        Set<String> unknown = new HashSet<>(byJob.keySet());
        unknown.addAll(remaining.keySet());
        unknown.removeAll(enqueued);
        unknown.removeAll(scheduled);

        Extras extras = new Extras();
        byJob.values().forEach(extras::scan);
        orphanedLeases(byJob).forEach(extras::measured);

        List<String> detailed = new ArrayList<>(extras.violations);
        Map<Boolean, List<Redelivery>> byKind = extras.redeliveries.values().stream()
                .collect(Collectors.partitioningBy(r -> r.next().longRun() != null));
        List<Redelivery> bounded = byKind.get(false);
        bounded.stream().filter(r -> r.delay().compareTo(limits.redelivery()) > 0)
                .sorted(Comparator.comparing(Redelivery::delay).reversed())
                .forEach(r -> detailed.add("job " + r.job() + " was redelivered " + millis(r.delay()) + " after "
                        + r.before() + ", more than the limit of " + millis(limits.redelivery()) + "; then " + r.next()));
        violations.addAll(detailed.subList(0, Math.min(MAX_LISTED, detailed.size())));
        if (detailed.size() > MAX_LISTED) {
            violations.add("... and " + (detailed.size() - MAX_LISTED) + " more such violations");
        }
        Map<Cause, Duration> longestByCause = new LinkedHashMap<>();
        bounded.forEach(r -> longestByCause.merge(r.cause(), r.delay(), (a, b) -> a.compareTo(b) >= 0 ? a : b));
        Optional<Redelivery> longest = bounded.stream().max(Comparator.comparing(Redelivery::delay));
        return new Findings(enqueued.size(), completed.size(), lost, byState, executions.size(), extras.causes,
                extras.firstRecordedLater, extras.staleFinishes, unknown, bounded.size(), longest,
                longestByCause, violations, List.copyOf(bounded), List.copyOf(byKind.get(true)));
    }

    /** What the executions beyond the first of each job tell: causes, violations, redelivery delays. */
    private final class Extras {
        final Map<Cause, Integer> causes = new LinkedHashMap<>();
        final List<String> violations = new ArrayList<>();
        /** By job and attempt: one redelivery measured twice (by record and by lease list) counts once, the longer. */
        final Map<String, Redelivery> redeliveries = new LinkedHashMap<>();
        int firstRecordedLater;
        int staleFinishes;

        /** Looks at the executions of one job, in attempt order. */
        void scan(List<Execution> runs) {
            if (runs.get(0).attempt() > 1) {
                firstRecordedLater++;
            }
            for (int i = 1; i < runs.size(); i++) {
                Execution previous = runs.get(i - 1);
                Execution next = runs.get(i);
                Cause cause = cause(previous, next);
                causes.merge(cause, 1, Integer::sum);
                if (previous.finished() && previous.end().isAfter(next.start())) {
                    staleFinishes++;
                }
                checkLeasesDidNotOverlap(previous, next, cause).ifPresent(violations::add);
                delay(previous, next, cause).ifPresent(delay -> measured(new Redelivery(next, cause, delay,
                        cause.name().toLowerCase() + " of its previous attempt, " + previous)));
            }
        }

        void measured(Redelivery redelivery) {
            redeliveries.merge(redelivery.job() + "#" + redelivery.attempt(), redelivery,
                    (a, b) -> a.delay().compareTo(b.delay()) >= 0 ? a : b);
        }
    }

    /**
     * The redeliveries of the leases that killed and paused daemons held, as the driver listed them
     * from the queue: this includes jobs whose handler had not yet started (no execution record), so
     * they are measured too. The redelivery is the job's first execution by another daemon after
     * the signal; a job without one was completed just before the signal.
     */
    private List<Redelivery> orphanedLeases(Map<String, List<Execution>> byJob) {
        List<Redelivery> measured = new ArrayList<>();
        for (FaultLog.Kill kill : faults.kills()) {
            String before = "kill -9 of " + kill.daemon() + " at " + kill.at() + ", which held its lease";
            kill.leasedJobs().forEach(job -> firstElsewhereAfter(byJob.get(job), kill.pid(), kill.at())
                    .ifPresent(next -> measured.add(new Redelivery(next, Cause.KILL, delay(kill.at(), next), before))));
        }
        for (FaultLog.Stop stop : faults.stops()) {
            String before = "SIGSTOP of " + stop.daemon() + " at " + stop.stoppedAt() + ", which held its lease";
            stop.leasedJobs().forEach(job -> firstElsewhereAfter(byJob.get(job), stop.pid(), stop.stoppedAt())
                    .ifPresent(next -> measured.add(new Redelivery(next, Cause.STOP, delay(stop.stoppedAt(), next),
                            before))));
        }
        for (FaultLog.Network cut : faults.network()) {
            if (cut.kind() == FaultLog.NetworkFault.PARTITION) {
                String before = "partition of " + cut.daemon() + " at " + cut.from() + ", which held its lease";
                cut.leasedJobs().forEach(job -> firstElsewhereAfter(byJob.get(job), cut.pid(), cut.from())
                        .ifPresent(next -> measured.add(new Redelivery(next, Cause.PARTITION, delay(cut.from(), next),
                                before))));
            }
        }
        return measured;
    }

    private static Optional<Execution> firstElsewhereAfter(List<Execution> runs, long pid, Instant after) {
        return runs == null ? Optional.empty() : runs.stream()
                .filter(run -> run.pid() != pid && !run.start().isBefore(after))
                .min(Comparator.comparing(Execution::start));
    }

    /** Why {@code next} ran after {@code previous} (the execution with the attempt number before it). */
    Cause cause(Execution previous, Execution next) {
        if (next.attempt() == previous.attempt()) {
            return Cause.SAME_ATTEMPT;
        }
        if (next.attempt() > previous.attempt() + 1) {
            return Cause.UNRECORDED;
        }
        if (previous.failed()) {
            return Cause.FAILED;
        }
        if (killOf(previous).filter(kill -> !next.start().isBefore(kill.at())).isPresent()) {
            return Cause.KILL;
        }
        if (stopOf(previous).filter(stop -> !next.start().isBefore(stop.stoppedAt())).isPresent()) {
            return Cause.STOP;
        }
        Optional<FaultLog.Network> network = networkFaultOf(previous, next);
        if (network.isPresent()) {
            return Cause.valueOf(network.get().kind().name());
        }
        boolean restartBetween = faults.restarts().stream()
                .anyMatch(r -> r.down().isBefore(next.start()) && r.up().isAfter(previous.start()));
        return restartBetween ? Cause.RESTART : Cause.OTHER;
    }

    /**
     * Fencing: the previous attempt's lease was valid at least until its last known deadline, so no
     * claim could take the entry before it — unless the previous handler failed and its lease was
     * released early. Only a handler that failed on purpose, or whose end is unrecorded, can have
     * done that (a failed effect write); one killed by the driver cannot release anything.
     */
    private Optional<String> checkLeasesDidNotOverlap(Execution previous, Execution next, Cause cause) {
        if (cause == Cause.SAME_ATTEMPT) {
            return Optional.of("job " + next.job() + " ran twice under attempt " + next.attempt()
                    + ", which means two valid leases at once: " + previous + "; and " + next);
        }
        boolean couldHaveReleased = previous.end() == null && killOf(previous).isEmpty() || previous.failed();
        if (!couldHaveReleased && next.start().plus(CLOCK_TOLERANCE).isBefore(previous.knownDeadline())) {
            return Optional.of("job " + next.job() + " attempt " + next.attempt() + " started at " + next.start()
                    + " while the lease of attempt " + previous.attempt() + " was valid until at least "
                    + previous.knownDeadline() + ": " + previous + "; then " + next);
        }
        return Optional.empty();
    }

    /** The redelivery delay as {@link #REDELIVERY_DEFINITION} defines it; empty when it cannot be measured. */
    private Optional<Duration> delay(Execution previous, Execution next, Cause cause) {
        Instant from = switch (cause) {
            case KILL -> killOf(previous).orElseThrow().at();
            case STOP -> stopOf(previous).orElseThrow().stoppedAt();
            case RESTART, OTHER, LATENCY, DROP, HALF_OPEN -> previous.knownDeadline();
            case PARTITION -> networkFaultOf(previous, next).map(FaultLog.Network::from)
                    .filter(cutAt -> previous.start().isBefore(cutAt)).orElse(previous.knownDeadline());
            case UNRECORDED, SAME_ATTEMPT, FAILED -> null;
        };
        return from == null || next.start().isBefore(from) ? Optional.empty() : Optional.of(delay(from, next));
    }

    /** From {@code from} to the start of {@code next}, less the time the database was down in between. */
    private Duration delay(Instant from, Execution next) {
        return Duration.between(from, next.start()).minus(faults.databaseDowntime(from, next.start()));
    }

    /**
     * The gravest network fault on the daemon of {@code previous} while its lease could still
     * matter: from a visibility timeout before it started (claimed ahead) to the next start.
     */
    private Optional<FaultLog.Network> networkFaultOf(Execution previous, Execution next) {
        Instant claimedBy = previous.start().minus(limits.visibilityTimeout());
        return faults.network().stream().filter(n -> n.pid() == previous.pid() && n.overlaps(claimedBy, next.start()))
                .max(Comparator.comparing(FaultLog.Network::kind));
    }

    /**
     * Whether a fault may have kept a finished {@code execution}'s acknowledgement from the queue:
     * its daemon was killed, paused or cut off after the execution started and before one lease
     * after its end (a finished job's acknowledgement leaves well within a lease).
     */
    boolean acknowledgementCutOff(Execution execution) {
        if (execution.end() == null) {
            return false;
        }
        Instant from = execution.start();
        Instant until = execution.end().plus(limits.visibilityTimeout());
        return faults.kills().stream().anyMatch(kill -> kill.pid() == execution.pid() && within(kill.at(), from, until))
                || faults.stops().stream().anyMatch(stop -> stop.pid() == execution.pid()
                        && within(stop.stoppedAt(), from, until))
                || faults.network().stream().anyMatch(cut -> cut.pid() == execution.pid() && cut.overlaps(from, until));
    }

    private static boolean within(Instant at, Instant from, Instant until) {
        return !at.isBefore(from) && !at.isAfter(until);
    }

    private Optional<FaultLog.Kill> killOf(Execution execution) {
        return faults.kills().stream().filter(kill -> kill.pid() == execution.pid()).findFirst();
    }

    /**
     * The pause of the daemon that ran {@code execution}, if the execution was claimed before it: it
     * started before the resume, or just after (its handler had not yet started when SIGSTOP came).
     */
    private Optional<FaultLog.Stop> stopOf(Execution execution) {
        return faults.stops().stream().filter(stop -> stop.pid() == execution.pid()
                && (stop.resumedAt() == null || execution.start().isBefore(stop.resumedAt().plus(STALE_START_WINDOW))))
                .findFirst();
    }

    private static String describe(List<String> ids, Map<String, List<Execution>> byJob) {
        Map<String, String> described = new LinkedHashMap<>();
        ids.forEach(id -> described.put(id, String.valueOf(byJob.getOrDefault(id, List.of()))));
        return described.toString();
    }

    static String millis(Duration duration) {
        return duration.toMillis() + " ms";
    }
}
