package io.docjobs;

import java.time.Instant;

/**
 * A read-only snapshot of a queue entry, as returned by the admin reads (peek, dead letters, get).
 *
 * @param visibleAt for READY: when it becomes claimable; for LEASED: the lease deadline; null for DEAD
 * @param lastError the last recorded failure, or null
 * @param workerId  the worker holding (or last holding) the lease, or null
 * @param deadAt    when it was dead-lettered, or null
 */
public record JobEntry(
        String id,
        String type,
        String payload,
        JobState state,
        int priority,
        int attempts,
        int maxAttempts,
        Instant enqueuedAt,
        Instant visibleAt,
        String dedupKey,
        String workerId,
        JobError lastError,
        Instant deadAt) {
}
