package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.eq;
import static io.docjobs.mongo.Arguments.checkLimit;
import static io.docjobs.mongo.Arguments.withType;
import static io.docjobs.mongo.Claimer.CLAIM_ORDER;
import static io.docjobs.mongo.Entries.DEAD;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LEASED;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.client.FindIterable;
import io.docjobs.DeadLetterPage;
import io.docjobs.JobEntry;
import io.docjobs.JobPage;
import io.docjobs.JobQuery;
import io.docjobs.QueueStats;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;
import org.jspecify.annotations.Nullable;

/** The operator's reads: counts, one entry, the head of the queue and the dead letters. */
final class Inspector {
    private final EntryStore store;

    Inspector(EntryStore store) {
        this.store = store;
    }

    /**
     * Counts by type and state. Reads only the counted fields, of entries in the states docjobs
     * writes: on MongoDB the claim index ({@code state, type, priority, visibleAt}) serves the
     * match and holds every projected field, so the counts come from the index without fetching
     * one entry (payloads can be large and daemons read these counts every few seconds).
     */
    QueueStats stats() {
        return store.runner.run("stats", attempt -> {
            Instant now = store.now();
            Map<String, long[]> counts = new TreeMap<>();
            Map<String, Duration> oldest = new HashMap<>();
            for (Document row : store.entries.aggregate(statsPipeline(now))) {
                Document key = row.get(ID, Document.class);
                // Entries written by hand may have any type, or a state that is an array holding one of
                // the three: show them, never fail on them. Other states are not matched: such entries
                // are neither work nor dead letters.
                String type = String.valueOf(Entries.text(key.get(TYPE)));
                long count = ((Number) row.get("count")).longValue();
                long visible = ((Number) row.get("visibleNow")).longValue();
                long[] c = counts.computeIfAbsent(type, t -> new long[5]);
                switch (key.get(STATE) instanceof String state ? state : "") {
                    case "ready" -> {
                        c[0] += visible;
                        c[1] += count - visible;
                        if (row.get("minVisibleAt") instanceof Date min && !min.toInstant().isAfter(now)) {
                            oldest.put(type, Duration.between(min.toInstant(), now));
                        }
                    }
                    case "leased" -> {
                        c[2] += count - visible;
                        c[3] += visible;
                    }
                    default -> c[4] += count;
                }
            }
            List<QueueStats.TypeStats> rows = new ArrayList<>();
            counts.forEach((type, c) -> rows.add(new QueueStats.TypeStats(type, c[0], c[1], c[2], c[3], c[4],
                    oldest.getOrDefault(type, Duration.ZERO))));
            return new QueueStats(now, rows);
        });
    }

    /**
     * {@code $match} on the states, {@code $project} of the counted fields without {@code _id},
     * then one {@code $group} per type and state. The {@code $type} on the type gives the claim
     * index (type first, state last) bounds to scan, so MongoDB reads the index alone rather than
     * every entry; entries whose type is not a string are malformed and not counted. Stages the
     * embedded server runs too.
     */
    static List<Document> statsPipeline(Instant now) {
        Document visibleNow = new Document("$cond", List.of(new Document("$lte", List.of("$" + VISIBLE_AT, Date.from(now))), 1, 0));
        return List.of(
                new Document("$match", new Document(TYPE, new Document("$type", "string"))
                        .append(STATE, new Document("$in", List.of(READY, LEASED, DEAD)))),
                new Document("$project", new Document(ID, 0).append(TYPE, 1).append(STATE, 1).append(VISIBLE_AT, 1)),
                new Document("$group", new Document(ID, new Document(TYPE, "$" + TYPE).append(STATE, "$" + STATE))
                        .append("count", new Document("$sum", 1))
                        .append("visibleNow", new Document("$sum", visibleNow))
                        .append("minVisibleAt", new Document("$min", "$" + VISIBLE_AT))));
    }

    Optional<JobEntry> get(String id) {
        ObjectId objectId = Entries.objectId(id);
        return store.runner.run("get of " + id, id, attempt -> Optional.ofNullable(store.entries.find(eq(ID, objectId)).first())
                .map(entry -> Entries.toJobEntry(entry, store.schema)));
    }

    /** The head of the queue in claim order; payloads left out (see {@link Entries#WITHOUT_PAYLOAD}). */
    List<JobEntry> peek(String type, int limit) {
        checkLimit(limit);
        Bson filter = withType(eq(STATE, READY), type);
        return store.runner.run("peek", attempt -> store.entries.find(filter).projection(Entries.WITHOUT_PAYLOAD)
                .sort(CLAIM_ORDER).limit(limit).map(entry -> Entries.toJobEntry(entry, store.schema, false))
                .into(new ArrayList<>()));
    }

    /**
     * One page of a job listing: {@code limit + 1} entries read, so that the page knows whether
     * another follows without a second round trip; payloads and error histories left out. A dedup
     * key matches one entry at most: that read is unsorted and has no next page.
     */
    JobPage jobs(JobQuery query) {
        Arguments.notNull(query, "query");
        JobCursor after = query.after() == null ? null : JobCursor.parse(query.after(), query.order(), "after");
        Document filter = JobCursor.filter(query, after);
        int limit = query.limit();
        return store.runner.run("list of jobs", attempt -> {
            FindIterable<Document> find = store.entries.find(filter).projection(Entries.WITHOUT_PAYLOAD);
            if (query.dedupKey() == null) {
                find = find.sort(JobCursor.sort(query.order())).limit(limit + 1);
            }
            List<Document> found = find.into(new ArrayList<>());
            List<Document> page = found.subList(0, Math.min(limit, found.size()));
            String next = found.size() > limit ? JobCursor.after(query.order(), page.get(limit - 1)) : null;
            return new JobPage(page.stream().map(entry -> Entries.toJobEntry(entry, store.schema, false)).toList(), next);
        });
    }

    /**
     * One page of dead letters after {@code after}: {@code limit + 1} entries read, so that the
     * page knows whether another follows without a second round trip. Payloads left out.
     */
    DeadLetterPage deadLetters(@Nullable String type, @Nullable String after, int limit) {
        checkLimit(limit);
        Bson filter = DeadLetterCursor.filter(type, after == null ? null : DeadLetterCursor.parse(after, "after"));
        return store.runner.run("list of dead letters", attempt -> {
            List<Document> found = store.entries.find(filter).projection(Entries.WITHOUT_PAYLOAD)
                    .sort(DeadLetterCursor.ORDER).limit(limit + 1).into(new ArrayList<>());
            List<Document> page = found.subList(0, Math.min(limit, found.size()));
            String next = found.size() > limit ? DeadLetterCursor.after(page.get(limit - 1)) : null;
            return new DeadLetterPage(page.stream().map(entry -> Entries.toJobEntry(entry, store.schema, false)).toList(),
                    next);
        });
    }
}
