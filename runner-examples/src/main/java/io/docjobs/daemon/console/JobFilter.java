package io.docjobs.daemon.console;

import io.docjobs.JobQuery;
import io.docjobs.JobState;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The job list's filter as the jobs page and {@code GET /api/jobs} read it from the query:
 * {@code state} ({@code ready}, {@code leased}, {@code dead}; none for all), {@code type},
 * {@code order} ({@code newest}, the default, or {@code claim}: the next READY jobs to be claimed),
 * {@code dedupKey}, {@code after} (the cursor of the page before) and {@code limit}.
 *
 * @param state    the state, or null for all
 * @param type     the type, or null for all
 * @param claim    whether in claim order rather than newest first
 * @param dedupKey the dedup key, or null
 * @param after    the cursor, or null for the first page
 * @param limit    the page size
 */
record JobFilter(@Nullable JobState state, @Nullable String type, boolean claim, @Nullable String dedupKey,
        @Nullable String after, int limit) {
    /** The parameters read. */
    static final Set<String> PARAMETERS = Set.of("state", "type", "order", "dedupKey", "after", "limit");

    /**
     * @throws HttpError 400 naming the parameter that is wrong
     */
    static JobFilter of(Request request) {
        String order = request.param("order");
        if (order != null && !order.equals("newest") && !order.equals("claim")) {
            throw HttpError.badRequest("order was \"" + order + "\" but must be newest or claim",
                    "newest lists the newest jobs first; claim the READY jobs in the order workers take them");
        }
        JobState state = state(request.param("state"));
        boolean claim = "claim".equals(order);
        if (claim && state != null && state != JobState.READY) {
            throw HttpError.badRequest("state was " + state.stored() + " but claim order lists ready jobs only",
                    "give state=ready or none with order=claim, or use order=newest");
        }
        String dedupKey = request.param("dedupKey");
        if (dedupKey != null && dedupKey.length() > 1000) {
            throw HttpError.badRequest("dedupKey was longer than 1000 characters", "pass a dedup key as enqueued");
        }
        return new JobFilter(state, request.typeParam(), claim, dedupKey, request.param("after"),
                request.intParam("limit", JobQuery.DEFAULT_LIMIT, 1, 500));
    }

    private static @Nullable JobState state(@Nullable String text) {
        if (text == null) {
            return null;
        }
        for (JobState state : JobState.values()) {
            if (state.stored().equals(text.toLowerCase(Locale.ROOT))) {
                return state;
            }
        }
        throw HttpError.badRequest("state was \"" + text + "\" but must be ready, leased or dead",
                "leave it out for every state (delayed jobs are ready jobs visible later)");
    }

    /** {@return the admin query for this filter} */
    JobQuery query() {
        JobQuery base = claim ? JobQuery.claimOrder() : JobQuery.newest().withState(state);
        return base.withType(type).withDedupKey(dedupKey).withAfter(after).withLimit(limit);
    }

    /** {@return the query string of this filter from {@code cursor} on: the link to another page} */
    String link(@Nullable String cursor) {
        StringBuilder query = new StringBuilder("order=").append(claim ? "claim" : "newest");
        append(query, "state", state == null ? null : state.stored());
        append(query, "type", type);
        append(query, "dedupKey", dedupKey);
        append(query, "after", cursor);
        if (limit != JobQuery.DEFAULT_LIMIT) {
            append(query, "limit", String.valueOf(limit));
        }
        return query.toString();
    }

    private static void append(StringBuilder query, String name, @Nullable String value) {
        if (value != null) {
            query.append('&').append(name).append('=').append(Views.q(value));
        }
    }
}
