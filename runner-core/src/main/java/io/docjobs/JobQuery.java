package io.docjobs;

import org.jspecify.annotations.Nullable;

/**
 * Which entries {@link JobAdmin#jobs} lists, in which order, from where, and how many. Immutable;
 * start from {@link #newest()} or {@link #claimOrder()} and narrow with the {@code with...} methods.
 *
 * @param state    only entries in this state; null for all. With {@link Order#CLAIM_ORDER} null or
 *                 {@link JobState#READY}: only ready entries have a claim order
 * @param type     only entries of this type; null for all types
 * @param order    the order of the list
 * @param dedupKey only the unfinished entry holding this dedup key (at most one; finished and dead
 *                 entries hold none); null for no such condition
 * @param after    null for the first page; else the {@link JobPage#next()} of the page before, read with a
 *                 query of the same order
 * @param limit    most entries per page, 1 to {@value #MAX_LIMIT}
 */
public record JobQuery(@Nullable JobState state, @Nullable String type, Order order, @Nullable String dedupKey,
        @Nullable String after, int limit) {

    /** The most entries one page holds. */
    public static final int MAX_LIMIT = 1_000;
    /** The page size of {@link #newest()} and {@link #claimOrder()}. */
    public static final int DEFAULT_LIMIT = 50;

    /** The order of a listing. */
    public enum Order {
        /** Newest enqueued first, by id (ObjectIds grow with time); entries whose id is no ObjectId are not listed. */
        NEWEST,
        /** Ready entries in the order they will be claimed: highest priority first, then earliest visible, then id. */
        CLAIM_ORDER
    }

    /**
     * Checks every value.
     *
     * @param state    the state, or null
     * @param type     the type, or null
     * @param order    the order; not null
     * @param dedupKey the dedup key, or null
     * @param after    the cursor, or null
     * @param limit    the page size
     * @throws IllegalArgumentException naming the first invalid value
     */
    public JobQuery {
        Bounds.notNull(order, "order");
        if (type != null && type.isBlank()) {
            throw new IllegalArgumentException("type was blank but must be a job type, or null for all types");
        }
        if (dedupKey != null && dedupKey.isEmpty()) {
            throw new IllegalArgumentException("dedupKey was empty but must be a dedup key, or null");
        }
        if (order == Order.CLAIM_ORDER && state != null && state != JobState.READY) {
            throw new IllegalArgumentException("state was " + state + " but claim order lists READY entries only:"
                    + " give READY or null, or use Order.NEWEST");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit was " + limit + " but must be between 1 and " + MAX_LIMIT);
        }
    }

    /** {@return the first page of every entry, newest first, {@value #DEFAULT_LIMIT} per page} */
    public static JobQuery newest() {
        return new JobQuery(null, null, Order.NEWEST, null, null, DEFAULT_LIMIT);
    }

    /** {@return the first page of ready entries in claim order, {@value #DEFAULT_LIMIT} per page} */
    public static JobQuery claimOrder() {
        return new JobQuery(JobState.READY, null, Order.CLAIM_ORDER, null, null, DEFAULT_LIMIT);
    }

    /**
     * {@return this query for entries in {@code state} only}
     *
     * @param state the state, or null for all
     */
    public JobQuery withState(@Nullable JobState state) {
        return new JobQuery(state, type, order, dedupKey, after, limit);
    }

    /**
     * {@return this query for entries of {@code type} only}
     *
     * @param type the type, or null for all
     */
    public JobQuery withType(@Nullable String type) {
        return new JobQuery(state, type, order, dedupKey, after, limit);
    }

    /**
     * {@return this query for the unfinished entry holding {@code dedupKey}}
     *
     * @param dedupKey the key, or null for no such condition
     */
    public JobQuery withDedupKey(@Nullable String dedupKey) {
        return new JobQuery(state, type, order, dedupKey, after, limit);
    }

    /**
     * {@return this query from the position {@code after}}
     *
     * @param after a {@link JobPage#next()}, or null for the first page
     */
    public JobQuery withAfter(@Nullable String after) {
        return new JobQuery(state, type, order, dedupKey, after, limit);
    }

    /**
     * {@return this query with pages of {@code limit}}
     *
     * @param limit 1 to {@value #MAX_LIMIT}
     */
    public JobQuery withLimit(int limit) {
        return new JobQuery(state, type, order, dedupKey, after, limit);
    }
}
