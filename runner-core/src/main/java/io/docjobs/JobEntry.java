package io.docjobs;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * A read-only snapshot of a queue entry, as returned by the admin reads (peek, dead letters, get).
 *
 * <p>Entries written by other producers are shown as they are, even when malformed: an
 * {@code _id} that is no ObjectId and values of unexpected types as extended JSON text, numbers
 * that are not numbers as 0, dates that are not dates as null.
 *
 * @param id        24 hex digits; for an entry whose {@code _id} is no ObjectId, that id as extended JSON
 * @param payload   text as stored, a document payload as JSON; null in lists ({@link JobAdmin#peek},
 *                  {@link JobAdmin#deadLetters}), which do not read payloads: {@link JobAdmin#get} does
 * @param state     null if the stored state is none of ready, leased and dead
 * @param visibleAt for READY: when it becomes claimable; for LEASED: the lease deadline; null for DEAD
 * @param lastError the last recorded failure, or null
 * @param workerId  the worker holding (or last holding) the lease, or null
 * @param deadAt    when it was dead-lettered, or null
 */
public record JobEntry(
        String id,
        String type,
        @Nullable String payload,
        @Nullable JobState state,
        int priority,
        int attempts,
        int maxAttempts,
        @Nullable Instant enqueuedAt,
        @Nullable Instant visibleAt,
        @Nullable String dedupKey,
        @Nullable String workerId,
        @Nullable JobError lastError,
        @Nullable Instant deadAt) {
}
