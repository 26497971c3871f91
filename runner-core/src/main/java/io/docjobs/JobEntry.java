package io.docjobs;

import java.time.Instant;
import java.util.List;
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
 * @param errors    the failures of past attempts, oldest first, at most {@link #MAX_ERRORS} (the last of them is
 *                  {@code lastError}); empty when none was recorded, or for entries failed before docjobs kept
 *                  a history. Elements that are not error documents are shown as their extended JSON text
 * @param cancelRequestedAt when an operator asked to cancel the running attempt, or null
 * @param claimedAt when the running attempt was claimed (database time); null unless LEASED
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
        @Nullable Instant deadAt,
        List<JobError> errors,
        @Nullable Instant cancelRequestedAt,
        @Nullable Instant claimedAt) {

    /** The most errors an entry keeps: older ones are dropped when a newer one is recorded. */
    public static final int MAX_ERRORS = 10;

    /**
     * Copies {@code errors}; null means none.
     *
     * @param id                24 hex digits
     * @param type              the job type
     * @param payload           the payload, or null in lists
     * @param state             the state, or null if unknown
     * @param priority          the priority
     * @param attempts          the attempts started
     * @param maxAttempts       the attempts allowed
     * @param enqueuedAt        when enqueued, or null
     * @param visibleAt         when claimable, or the lease deadline, or null
     * @param dedupKey          the dedup key, or null
     * @param workerId          the lease holder, or null
     * @param lastError         the last failure, or null
     * @param deadAt            when dead-lettered, or null
     * @param errors            the failures of past attempts, oldest first; null for none
     * @param cancelRequestedAt when a cancel was asked for, or null
     * @param claimedAt         when the running attempt was claimed, or null
     * @throws IllegalArgumentException if {@code errors} holds null
     */
    public JobEntry {
        if (errors == null) {
            errors = List.of();
        } else {
            for (JobError error : errors) {
                if (error == null) {
                    throw new IllegalArgumentException("errors contained null but every error must be given");
                }
            }
            errors = List.copyOf(errors);
        }
    }

    /**
     * An entry without an error history, a cancel request or a claim time, as earlier versions made them.
     *
     * @param id          24 hex digits
     * @param type        the job type
     * @param payload     the payload, or null in lists
     * @param state       the state, or null if unknown
     * @param priority    the priority
     * @param attempts    the attempts started
     * @param maxAttempts the attempts allowed
     * @param enqueuedAt  when enqueued, or null
     * @param visibleAt   when claimable, or the lease deadline, or null
     * @param dedupKey    the dedup key, or null
     * @param workerId    the lease holder, or null
     * @param lastError   the last failure, or null
     * @param deadAt      when dead-lettered, or null
     */
    public JobEntry(String id, String type, @Nullable String payload, @Nullable JobState state, int priority,
            int attempts, int maxAttempts, @Nullable Instant enqueuedAt, @Nullable Instant visibleAt,
            @Nullable String dedupKey, @Nullable String workerId, @Nullable JobError lastError, @Nullable Instant deadAt) {
        this(id, type, payload, state, priority, attempts, maxAttempts, enqueuedAt, visibleAt, dedupKey, workerId,
                lastError, deadAt, List.of(), null, null);
    }
}
