package io.docjobs.tools.chaos;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a chaos run does. Faults are triggered by progress (the share of jobs completed), so that
 * each happens while jobs remain however fast the machine is: the database restart at 10 %, the
 * first kill at 20 % (then one every {@code killEvery}), the pause at 50 %.
 *
 * @param jobs              jobs to enqueue
 * @param daemons           daemon processes running at once
 * @param slots             worker slots per daemon for the common type ({@link ChaosHandler#TYPE})
 * @param longSlots         more slots per daemon, the most long jobs ({@link ChaosHandler#LONG_TYPE})
 *                          a daemon runs at once: {@code supervisor.workers} is {@code slots + longSlots}
 * @param visibilityTimeout lease length of every job
 * @param killEvery         kill -9 a daemon this often (and start a replacement)
 * @param maxKills          stop killing after this many (Integer.MAX_VALUE: no limit)
 * @param pauseDaemon       SIGSTOP one daemon once, for longer than the visibility timeout
 * @param restartDatabase   restart the database process once
 * @param maxDuration       give up (and report the jobs left) after this long
 * @param backoffCap        the daemons' {@code supervisor.idleBackoffMax}
 * @param margin            slack allowed on top of visibility timeout + back-off cap for redelivery
 * @param backlog           keep at most this many READY entries in the queue while enqueueing
 * @param workDir           logs, configuration, database file and the JSON summary
 * @param networkFaults     a proxy per daemon slot with latency spikes, drops, half-open connections
 *                          and a partition ({@link NetworkChaos})
 * @param clockFaults       skewed and jumping daemon clocks, if libfaketime is installed ({@link ClockFaults})
 * @param workload          the mix of long, retry and poison jobs among the producer's
 */
public record ChaosSettings(int jobs, int daemons, int slots, int longSlots, Duration visibilityTimeout, Duration killEvery,
        int maxKills, boolean pauseDaemon, boolean restartDatabase, Duration maxDuration, Duration backoffCap,
        Duration margin, int backlog, Path workDir, boolean networkFaults, boolean clockFaults, Workload workload) {

    static final double RESTART_AT = 0.10;
    static final double FIRST_KILL_AT = 0.20;
    static final double PAUSE_AT = 0.50;

    /** Each daemon's {@code supervisor.workers}: long jobs are capped at {@link #longSlots}, so at least {@link #slots} are left for the others. */
    int workers() {
        return slots + longSlots;
    }

    /** How long the paused daemon stays stopped: well past its leases' deadline. */
    Duration pauseLength() {
        return visibilityTimeout.plus(Duration.ofSeconds(2)).plus(visibilityTimeout.dividedBy(2));
    }

    /**
     * How long after its deadline an expired lease may stay unclaimed at the end before it counts
     * as stuck: visibility timeout + back-off cap, as in the issue.
     */
    Duration stuckGrace() {
        return visibilityTimeout.plus(backoffCap);
    }
}
