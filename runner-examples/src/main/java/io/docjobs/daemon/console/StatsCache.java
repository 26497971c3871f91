package io.docjobs.daemon.console;

import io.docjobs.JobAdmin;
import io.docjobs.QueueStats;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * {@link JobAdmin#stats()} shared for a short while: however many browsers are open on the
 * overview, the database sees at most one stats aggregate per {@link #TTL}. Callers that arrive
 * while a read is under way wait for it instead of starting their own.
 */
final class StatsCache {
    /** How long one read of the counts is served. */
    static final Duration TTL = Duration.ofSeconds(2);

    private final JobAdmin admin;
    private final LongSupplier nanoTime;
    private QueueStats stats;
    private long readAtNanos;

    StatsCache(JobAdmin admin, LongSupplier nanoTime) {
        this.admin = admin;
        this.nanoTime = nanoTime;
    }

    synchronized QueueStats get() {
        long now = nanoTime.getAsLong();
        if (stats == null || now - readAtNanos >= TTL.toNanos()) {
            stats = admin.stats();
            readAtNanos = nanoTime.getAsLong();
        }
        return stats;
    }

    /** Forgets the counts, after a write action changed them. */
    synchronized void invalidate() {
        stats = null;
    }
}
