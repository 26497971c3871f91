package io.docjobs.tools.chaos;

import java.time.Duration;

/**
 * The mix of the producer's chaos jobs (see {@link JobKinds}): besides short jobs, long jobs that run
 * for several visibility timeouts on heartbeats, retry jobs whose first attempts fail by design, and
 * poison jobs that fail every attempt and must end as dead letters.
 *
 * @param longShare   share of the jobs that are long, 0 to 1
 * @param longSpan    long jobs are spread over this first part of the sequence, 0 to 1: they start
 *                    while faults still come (the restart at 10 %, kills from 20 %, the pause at
 *                    50 %) and end before the last short jobs, so the run does not wait for them
 * @param longMin     the shortest long job, in visibility timeouts
 * @param longMax     the longest long job, in visibility timeouts
 * @param retryShare  share of the jobs whose first one or two attempts fail
 * @param poisonShare share of the jobs that fail every attempt
 */
record Workload(double longShare, double longSpan, double longMin, double longMax, double retryShare,
        double poisonShare) {

    /**
     * The full run's mix: 0.25 % long (2.5 to 4 leases), 2 % retried, 0.2 % poison. With kills every
     * few seconds the long jobs' executions take about as many slot-seconds as the 18 long slots
     * ({@link ChaosSettings#longSlots}) of three daemons give while the short jobs run; at 0.5 % they
     * queued for those slots and the run ended minutes after its last short job.
     */
    static final Workload DEFAULT = new Workload(0.0025, 0.8, 2.5, 4.0, 0.02, 0.002);
    /** The short run's: the same shares, long jobs early and at most 3 leases long, so the run stays short. */
    static final Workload SHORT = new Workload(0.005, 0.25, 2.5, 3.0, 0.02, 0.002);

    /** Checks the shares and lengths. */
    Workload {
        require(share(longShare) && share(retryShare) && share(poisonShare) && longShare + retryShare + poisonShare <= 1,
                "the shares of long, retry and poison jobs must each be between 0 and 1, together at most 1; were "
                        + longShare + ", " + retryShare + ", " + poisonShare);
        require(longSpan > 0 && longSpan <= 1, "the long jobs' span was " + longSpan + " but must be in (0, 1]");
        require(longMin >= 1 && longMax >= longMin, "long jobs must run at least one visibility timeout (min " + longMin
                + ", max " + longMax + ")");
    }

    /** The length of a long job, {@code fraction} (0 to 1) of the way from the shortest to the longest. */
    Duration longLength(Duration visibilityTimeout, double fraction) {
        return Duration.ofMillis(Math.round(visibilityTimeout.toMillis() * (longMin + (longMax - longMin) * fraction)));
    }

    private static boolean share(double value) {
        return value >= 0 && value <= 1;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
