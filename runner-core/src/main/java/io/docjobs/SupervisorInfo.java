package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One supervisor of a queue as its registry document shows it ({@link JobAdmin#supervisors()}):
 * each running {@link Supervisor} writes one document per {@link SupervisorConfig#registryInterval()}
 * into {@code <collection>_supervisors}, and one more when it stops. Documents written by other
 * programs are shown as far as they can be: missing or mistyped values as null, 0 or empty.
 *
 * @param id            the supervisor's worker id: the {@code workerId} of the leases it holds
 * @param name          the supervisor's name, or null
 * @param host          the host it runs on, or null
 * @param version       the docjobs version it runs, or null
 * @param types         the job types it handles
 * @param workers       its worker slots
 * @param inFlight      the jobs it ran when it last wrote
 * @param startedAt     when it started (database time), or null
 * @param lastSeen      when it last wrote (database time), or null
 * @param stoppedAt     when it stopped, or null while it has not
 * @param interval      how often it writes; {@link Status#GONE} is judged against this
 * @param status        whether it is alive, gone or stopped
 * @param counts        what it did since it started
 * @param heldLeases    for a {@link Status#GONE} supervisor, the ids of entries still leased under its
 *                      worker id, at most {@link #MAX_HELD_SHOWN}; empty otherwise (other workers
 *                      take them over when the leases expire)
 * @param heldLeaseCount how many entries a gone supervisor still holds; 0 otherwise
 */
public record SupervisorInfo(
        String id,
        @Nullable String name,
        @Nullable String host,
        @Nullable String version,
        List<String> types,
        int workers,
        int inFlight,
        @Nullable Instant startedAt,
        @Nullable Instant lastSeen,
        @Nullable Instant stoppedAt,
        Duration interval,
        Status status,
        Counts counts,
        List<String> heldLeases,
        long heldLeaseCount) {

    /** The most ids of held leases listed for a gone supervisor; {@link #heldLeaseCount()} counts all. */
    public static final int MAX_HELD_SHOWN = 100;
    /**
     * How many intervals a supervisor may miss before it is {@link Status#GONE}: more than one, so a
     * slow write or a short database outage does not make a live supervisor look dead.
     */
    public static final int MISSED_INTERVALS = 3;

    /**
     * Copies the lists; null lists are empty.
     *
     * @param id             the worker id
     * @param name           the name, or null
     * @param host           the host, or null
     * @param version        the docjobs version, or null
     * @param types          the types handled
     * @param workers        the worker slots
     * @param inFlight       the jobs in flight at the last write
     * @param startedAt      when it started, or null
     * @param lastSeen       when it last wrote, or null
     * @param stoppedAt      when it stopped, or null
     * @param interval       its write interval
     * @param status         alive, gone or stopped
     * @param counts         its totals
     * @param heldLeases     the first ids of the leases a gone supervisor holds
     * @param heldLeaseCount how many it holds
     * @throws IllegalArgumentException if {@code id}, {@code interval}, {@code status} or {@code counts} is null
     */
    public SupervisorInfo {
        Bounds.notNull(id, "id");
        Bounds.notNull(interval, "interval");
        Bounds.notNull(status, "status");
        Bounds.notNull(counts, "counts");
        types = types == null ? List.of() : List.copyOf(types);
        heldLeases = heldLeases == null ? List.of() : List.copyOf(heldLeases);
    }

    /** Whether a supervisor is running. */
    public enum Status {
        /** It wrote within {@link #MISSED_INTERVALS} of its intervals. */
        ALIVE,
        /**
         * It stopped writing without saying it stopped: killed, hung, or cut off from the database.
         * The leases it held expire and other supervisors take the jobs over.
         */
        GONE,
        /** It closed and said so. */
        STOPPED
    }

    /**
     * What a supervisor did since it started, for fleet charts: sample them and take differences.
     * Each counter only grows while the supervisor runs.
     *
     * @param claimed         jobs claimed
     * @param succeeded       jobs done
     * @param retried         failed jobs released for a retry (time-outs are counted in {@code timedOut})
     * @param deadLettered    failed jobs dead-lettered (time-outs are counted in {@code timedOut})
     * @param timedOut        jobs that ran past their time-out (retried or dead-lettered)
     * @param leaseLost       jobs whose lease was lost to another worker
     * @param abandoned       jobs still running at shutdown, handed back
     * @param queueWaitMillis the sum, over claimed jobs, of the time from visible to claimed
     * @param queueWaitCount  the claimed jobs {@code queueWaitMillis} sums over
     * @param registryErrors  registry writes that failed (the supervisor kept running)
     */
    public record Counts(long claimed, long succeeded, long retried, long deadLettered, long timedOut, long leaseLost,
            long abandoned, long queueWaitMillis, long queueWaitCount, long registryErrors) {

        /** All zero. */
        public static final Counts NONE = new Counts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

        /** {@return the mean queue wait of the claimed jobs, or zero if none was claimed} */
        public Duration meanQueueWait() {
            return queueWaitCount == 0 ? Duration.ZERO : Duration.ofMillis(queueWaitMillis / queueWaitCount);
        }
    }
}
