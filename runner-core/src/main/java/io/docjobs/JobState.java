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
    READY("ready"),
    LEASED("leased"),
    DEAD("dead");

    private final String stored;

    JobState(String stored) {
        this.stored = stored;
    }

    /** The value stored in the entry's {@code state} field. */
    public String stored() {
        return stored;
    }

    /** Maps a stored {@code state} value back to the enum. */
    public static JobState fromStored(String value) {
        for (JobState state : values()) {
            if (state.stored.equals(value)) {
                return state;
            }
        }
        throw new IllegalStateException("unknown entry state '" + value + "' (expected ready, leased or dead)");
    }
}
