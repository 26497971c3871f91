package io.docjobs;

/**
 * Where a queue entry is in its life. A completed entry is deleted, so it has no state.
 *
 * <ul>
 *   <li>{@link #READY}: waiting; claimable once its visible-at time has passed (a delayed or
 *       retrying entry is READY with a visible-at in the future).
 *   <li>{@link #LEASED}: claimed by a worker until the lease deadline. A LEASED entry whose deadline
 *       has passed is claimable again: that is how a crashed worker's job is redelivered.
 *   <li>{@link #DEAD}: failed its last attempt (or failed with a non-retryable error); kept for
 *       inspection until requeued or purged.
 * </ul>
 */
public enum JobState {
    /** Waiting for a worker, now or from its visible-at time. */
    READY("ready"),
    /** Claimed by a worker until its lease deadline. */
    LEASED("leased"),
    /** Dead-lettered: kept until requeued or purged. */
    DEAD("dead");

    private final String stored;

    JobState(String stored) {
        this.stored = stored;
    }

    /** {@return the value stored in the entry's {@code state} field} */
    public String stored() {
        return stored;
    }

    /**
     * {@return the state whose {@link #stored()} value is {@code value}}
     *
     * @param value a stored {@code state} value
     * @throws IllegalStateException for any other value
     */
    public static JobState fromStored(String value) {
        for (JobState state : values()) {
            if (state.stored.equals(value)) {
                return state;
            }
        }
        throw new IllegalStateException("unknown entry state '" + value + "' (expected ready, leased or dead)");
    }
}
