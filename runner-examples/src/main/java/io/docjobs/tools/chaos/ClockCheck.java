package io.docjobs.tools.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks that skewed and jumping daemon clocks did not move lease deadlines: every lease deadline a
 * handler saw at its start lies between the start (database time: the lease was still valid, not
 * expired early) and the start plus one visibility timeout (not longer than a lease may be), both
 * give or take {@link #TOLERANCE}. A daemon that did its lease arithmetic on its own clock would be
 * off by its skew, up to two minutes, and fail one side or the other.
 *
 * <p>Not held to the lower side: executions that started while their daemon was paused, cut off
 * or behind a faulty network, or the database was restarting, up to a visibility timeout after (a
 * lease claimed before such a fault may legitimately have expired before its handler started).
 */
final class ClockCheck {
    /**
     * Slack on both sides: the database-time estimate of a daemon is off by at most half a round trip
     * taken when it synced (a latency spike makes that up to a second or so), and the recorded start
     * is the time the start record reached the database.
     */
    static final Duration TOLERANCE = Duration.ofSeconds(2);

    /**
     * What the check found.
     *
     * @param checked         executions whose deadline was held to both sides
     * @param onSkewedClocks  of them, executions by daemons whose clock the run moved
     * @param upperOnly       executions held to the upper side only (started during a fault)
     * @param skewedDaemons   daemons whose clock was skewed or jumped
     * @param jumps           jumps of the jumping clocks
     */
    record Findings(int checked, int onSkewedClocks, int upperOnly, int skewedDaemons, int jumps,
            List<String> violations) {
    }

    private static final int MAX_LISTED = 10;

    private ClockCheck() {
    }

    static Findings check(Collection<Execution> executions, FaultLog faults, Duration visibilityTimeout) {
        Set<Long> skewed = faults.clocks().stream().filter(c -> c.jump() || !c.offset().isZero())
                .map(FaultLog.ClockShift::pid).collect(Collectors.toSet());
        int jumps = (int) faults.clocks().stream().filter(FaultLog.ClockShift::jump).map(FaultLog.ClockShift::at).distinct()
                .count();
        List<String> violations = new ArrayList<>();
        int checked = 0;
        int onSkewed = 0;
        int upperOnly = 0;
        for (Execution run : executions) {
            if (run.start() == null || run.deadlineAtStart() == null) {
                continue;
            }
            Instant latest = run.start().plus(visibilityTimeout).plus(TOLERANCE);
            if (run.deadlineAtStart().isAfter(latest)) {
                violations.add("job " + run.job() + " attempt " + run.attempt() + " started at " + run.start()
                        + " (database time) with a lease until " + run.deadlineAtStart() + ", longer than the visibility"
                        + " timeout of " + Analysis.millis(visibilityTimeout) + ": its daemon's lease arithmetic is off");
            }
            if (duringFault(run, faults, visibilityTimeout)) {
                upperOnly++;
                continue;
            }
            checked++;
            if (skewed.contains(run.pid())) {
                onSkewed++;
            }
            if (run.deadlineAtStart().isBefore(run.start().minus(TOLERANCE))) {
                violations.add("job " + run.job() + " attempt " + run.attempt() + " started at " + run.start()
                        + " (database time) on a lease that had expired at " + run.deadlineAtStart()
                        + ": expired early" + (skewed.contains(run.pid()) ? ", on a daemon with a skewed clock" : ""));
            }
        }
        List<String> listed = new ArrayList<>(violations.subList(0, Math.min(MAX_LISTED, violations.size())));
        if (violations.size() > MAX_LISTED) {
            listed.add("... and " + (violations.size() - MAX_LISTED) + " more lease deadlines off the database's clock");
        }
        return new Findings(checked, onSkewed, upperOnly, skewed.size(), jumps, listed);
    }

    /** Whether {@code run} started while a fault other than a clock's was on for it, or up to a lease after. */
    private static boolean duringFault(Execution run, FaultLog faults, Duration visibilityTimeout) {
        Instant from = run.start().minus(visibilityTimeout);
        Instant to = run.start();
        return faults.network().stream().anyMatch(n -> n.pid() == run.pid() && n.overlaps(from, to))
                || faults.stops().stream().anyMatch(s -> s.pid() == run.pid() && !s.stoppedAt().isAfter(to)
                        && (s.resumedAt() == null || !s.resumedAt().isBefore(from)))
                || faults.restarts().stream().anyMatch(r -> !r.down().isAfter(to) && !r.up().isBefore(from));
    }
}
