package io.docjobs;

import org.jspecify.annotations.Nullable;

/**
 * What became of one enqueue request. Make one with {@link #inserted}, {@link #duplicateOf} or
 * {@link #failed}.
 *
 * @param status  whether the entry was inserted, was a duplicate, or failed
 * @param id      the new entry's id; for a duplicate the unfinished entry that already holds the
 *                dedup key; null when failed
 * @param failure why the database rejected the request, when failed; otherwise null
 */
public record EnqueueResult(Status status, @Nullable String id, @Nullable String failure) {

    /** The three outcomes of one request. */
    public enum Status {
        /** A new entry was inserted under {@link #id()}. */
        INSERTED,
        /** Nothing was inserted: the unfinished entry {@link #id()} already holds the dedup key. */
        DUPLICATE,
        /** Nothing was inserted: the database rejected the request for {@link #failure()}; only in batches. */
        FAILED
    }

    /**
     * Checks that the id and the failure go with the status.
     *
     * @param status  the outcome
     * @param id      an entry id, null exactly when failed
     * @param failure the reason, given exactly when failed
     * @throws IllegalArgumentException if they do not go together
     */
    public EnqueueResult {
        Bounds.notNull(status, "status");
        if ((status == Status.FAILED) != (id == null) || (status == Status.FAILED) != (failure != null)) {
            throw new IllegalArgumentException("status " + status + " with id " + id + " and failure " + failure
                    + ": a failed result has a failure and no id, any other an id and no failure");
        }
    }

    /**
     * {@return that the request inserted entry {@code id}}
     *
     * @param id the new entry
     */
    public static EnqueueResult inserted(String id) {
        return new EnqueueResult(Status.INSERTED, id, null);
    }

    /**
     * {@return that nothing was inserted because an unfinished entry holds the request's dedup key}
     *
     * @param holderId the entry holding the key
     */
    public static EnqueueResult duplicateOf(String holderId) {
        return new EnqueueResult(Status.DUPLICATE, holderId, null);
    }

    /**
     * {@return that nothing was inserted because the database rejected the request}
     *
     * @param reason the database's reason
     */
    public static EnqueueResult failed(String reason) {
        return new EnqueueResult(Status.FAILED, null, reason);
    }

    /** {@return whether a new entry was inserted} */
    public boolean isInserted() {
        return status == Status.INSERTED;
    }

    /** {@return whether nothing was inserted because an unfinished entry had the same dedup key} */
    public boolean isDuplicate() {
        return status == Status.DUPLICATE;
    }

    /** {@return whether the database rejected the request} */
    public boolean isFailed() {
        return status == Status.FAILED;
    }
}
