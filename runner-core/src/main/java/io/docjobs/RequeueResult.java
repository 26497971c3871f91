package io.docjobs;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of {@link JobAdmin#requeueDead}: the states of the queue that keep a dead letter
 * from being requeued are outcomes, not errors. Make one with the static factories.
 *
 * @param status   what happened
 * @param id       the entry asked for
 * @param dedupKey with {@link Status#DEDUP_KEY_HELD}: the dead entry's dedup key; otherwise null
 * @param heldBy   with {@link Status#DEDUP_KEY_HELD}: the unfinished entry holding the key, or null
 *                 if it finished between the attempt and the lookup (then try again); otherwise null
 */
public record RequeueResult(Status status, String id, @Nullable String dedupKey, @Nullable String heldBy) {

    /** The outcomes of one requeue. */
    public enum Status {
        /** The entry is READY now, its attempts reset. */
        REQUEUED,
        /** No entry has that id: it completed (completed entries are deleted), was purged, or never existed. */
        NOT_FOUND,
        /** The entry exists but is not dead: nothing to requeue. */
        NOT_DEAD,
        /** An unfinished entry holds the dead entry's dedup key: requeue after it finishes, or purge. */
        DEDUP_KEY_HELD
    }

    /**
     * Checks that the status and the id are given.
     *
     * @param status   what happened
     * @param id       the entry asked for
     * @param dedupKey the dead entry's dedup key, or null
     * @param heldBy   the entry holding the key, or null
     * @throws IllegalArgumentException if {@code status} or {@code id} is null
     */
    public RequeueResult {
        Bounds.notNull(status, "status");
        Bounds.notNull(id, "id");
    }

    /**
     * {@return that entry {@code id} was requeued}
     *
     * @param id the entry id
     */
    public static RequeueResult requeued(String id) {
        return new RequeueResult(Status.REQUEUED, id, null, null);
    }

    /**
     * {@return that there is no entry {@code id}}
     *
     * @param id the entry id
     */
    public static RequeueResult notFound(String id) {
        return new RequeueResult(Status.NOT_FOUND, id, null, null);
    }

    /**
     * {@return that entry {@code id} exists but is not dead}
     *
     * @param id the entry id
     */
    public static RequeueResult notDead(String id) {
        return new RequeueResult(Status.NOT_DEAD, id, null, null);
    }

    /**
     * {@return that entry {@code id} stays dead because another entry holds its dedup key}
     *
     * @param id       the dead entry
     * @param dedupKey its dedup key
     * @param heldBy   the unfinished entry holding the key; null if it has just finished
     */
    public static RequeueResult dedupKeyHeld(String id, @Nullable String dedupKey, @Nullable String heldBy) {
        return new RequeueResult(Status.DEDUP_KEY_HELD, id, dedupKey, heldBy);
    }

    /** {@return whether the entry is READY again} */
    public boolean isRequeued() {
        return status == Status.REQUEUED;
    }

    /** {@return one sentence for an operator: what happened and, if nothing did, what to do} */
    public String describe() {
        return switch (status) {
            case REQUEUED -> "requeued " + id;
            case NOT_FOUND -> "no job with id " + id + ": it completed (completed jobs are deleted), was purged, or never existed";
            case NOT_DEAD -> "job " + id + " is not dead: nothing to requeue";
            case DEDUP_KEY_HELD -> "cannot requeue dead entry " + id + ": unfinished entry "
                    + (heldBy == null ? "(just finished)" : heldBy) + " holds the same dedup key \"" + dedupKey
                    + "\"; requeue it after that entry finishes, or purge it";
        };
    }
}
