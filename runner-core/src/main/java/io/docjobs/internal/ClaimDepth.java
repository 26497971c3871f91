package io.docjobs.internal;

/**
 * How many jobs a supervisor claims ahead of its workers: about as many as they finish during
 * {@value #CLAIMS_COVERED} claims, at most the prefetch, and none once a claim comes back with
 * fewer entries than it asked for.
 *
 * <p>Measured, not configured, because what pays depends on the work: for jobs short next to a
 * claim's round trips, a buffer that covers the next claim keeps workers busy and makes claims
 * large (one candidate read for many jobs); jobs long next to a claim finish so rarely during one
 * that nothing is claimed ahead of them, so none waits on this supervisor while another is idle.
 * A queue that had fewer entries than asked for is being drained: claiming ahead then would only
 * take its tail away from the rest of a fleet. Nothing is claimed ahead until a rate was measured:
 * after the first claim, by the jobs finished since it ended; from the second on, between claims.
 */
final class ClaimDepth {
    /**
     * Claims' worth of jobs a buffer holds. The next claim starts when half of it is used, so half
     * of it must last one claim; and the rate is measured with this buffer, which a buffer just deep
     * enough would hold down (workers idle at every claim). Measured: 2 left docjobs at 0.81 of the
     * bench's limit loop, 4 at 0.89, at 3,000 jobs and 8 workers on the embedded server.
     */
    static final int CLAIMS_COVERED = 4;
    /** Weight of the newest measurement in the moving averages: a few claims follow a change of workload. */
    static final double WEIGHT = 0.3;

    private final int max;
    private final boolean fixed;
    private double claimNanos = -1;
    /** Jobs finished per nanosecond, or -1 before two claims measured it. */
    private double finishRate = -1;
    private long lastClaimEnd = Long.MIN_VALUE;
    private long finishedAtLastClaim;
    private boolean queueHadMore;

    private ClaimDepth(int max, boolean fixed) {
        if (max < 0) {
            throw new IllegalArgumentException("max was " + max + " but must be zero or positive");
        }
        this.max = max;
        this.fixed = fixed;
    }

    /** A depth measured as the class describes, between 0 and {@code max} (the prefetch). */
    static ClaimDepth measured(int max) {
        return new ClaimDepth(max, false);
    }

    /** Always {@code depth}: for tests of what a buffer of jobs claimed ahead does. */
    static ClaimDepth fixed(int depth) {
        return new ClaimDepth(depth, true);
    }

    /**
     * A claim ran from {@code startNanos} to {@code endNanos} (ticker time), when the supervisor had
     * finished {@code finishedInAll} jobs since it started; {@code gotAllAsked}: it got as many
     * entries as it asked for, so more may wait.
     */
    synchronized void claimed(long startNanos, long endNanos, long finishedInAll, boolean gotAllAsked) {
        claimNanos = average(claimNanos, endNanos - startNanos);
        if (lastClaimEnd != Long.MIN_VALUE && endNanos > lastClaimEnd) {
            finishRate = average(finishRate, (double) (finishedInAll - finishedAtLastClaim) / (endNanos - lastClaimEnd));
        }
        lastClaimEnd = endNanos;
        finishedAtLastClaim = finishedInAll;
        queueHadMore = gotAllAsked;
    }

    /**
     * The jobs to hold beyond the workers at {@code nowNanos} (ticker time), when the supervisor
     * has finished {@code finishedInAll} jobs since it started.
     */
    synchronized int jobs(long nowNanos, long finishedInAll) {
        if (fixed) {
            return max;
        }
        if (!queueHadMore) {
            return 0;
        }
        double rate = finishRate;
        if (rate < 0) {
            // Only one claim so far: the jobs finished since it ended tell the rate already, so a
            // supervisor started on a backlog claims ahead from its second claim, not its third.
            long finished = finishedInAll - finishedAtLastClaim;
            if (lastClaimEnd == Long.MIN_VALUE || finished <= 0 || nowNanos <= lastClaimEnd) {
                return 0;
            }
            rate = (double) finished / (nowNanos - lastClaimEnd);
        }
        return (int) Math.min(max, Math.floor(CLAIMS_COVERED * claimNanos * rate));
    }

    private static double average(double average, double sample) {
        return average < 0 ? sample : average + WEIGHT * (sample - average);
    }
}
