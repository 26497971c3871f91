package io.docjobs.tools.chaos;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import io.docjobs.JobState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Reads the run's database directly, by the documented schema (README, "Schema, states and
 * indexes"): the queue collection for what is left, {@link Effects#COLLECTION} for what ran. The
 * analysis must not depend on the queue API it is checking.
 */
final class QueueView {
    private static final String STATE = "state";
    private static final String VISIBLE_AT = "visibleAt";
    private static final String WORKER_ID = "workerId";

    private final MongoDatabase database;
    private final String collection;

    QueueView(MongoDatabase database, String collection) {
        this.database = database;
        this.collection = collection;
    }

    /** Entries in the queue now, in any state. */
    long count() {
        return database.getCollection(collection).estimatedDocumentCount();
    }

    /** READY entries now (claimable or waiting for a retry). */
    long ready() {
        return database.getCollection(collection).countDocuments(Filters.eq(STATE, JobState.READY.stored()));
    }

    /**
     * The ids of the LEASED entries held by the supervisor named {@code name}: worker ids are
     * {@code host-pid-name}, and the run's names ({@code chaos-N}) are unique.
     */
    Set<String> leasedBy(String name) {
        Set<String> ids = new HashSet<>();
        for (Document entry : database.getCollection(collection).find(Filters.and(
                Filters.eq(STATE, JobState.LEASED.stored()), Filters.regex(WORKER_ID, "-" + Pattern.quote(name) + "$")))
                .projection(Projections.include("_id"))) {
            ids.add(id(entry));
        }
        return ids;
    }

    /** LEASED entries whose deadline passed before {@code before}. */
    long leasedExpiredBefore(Instant before) {
        return database.getCollection(collection).countDocuments(Filters.and(
                Filters.eq(STATE, JobState.LEASED.stored()), Filters.lt(VISIBLE_AT, Date.from(before))));
    }

    /** Every entry left in the queue, by id. */
    Map<String, Analysis.Entry> entries() {
        Map<String, Analysis.Entry> entries = new HashMap<>();
        for (Document entry : database.getCollection(collection).find()
                .projection(Projections.include(STATE, VISIBLE_AT))) {
            String id = id(entry);
            Date visibleAt = entry.getDate(VISIBLE_AT);
            entries.put(id, new Analysis.Entry(id, entry.getString(STATE), visibleAt == null ? null : visibleAt.toInstant()));
        }
        return entries;
    }

    private static String id(Document entry) {
        return entry.get("_id") instanceof ObjectId oid ? oid.toHexString() : String.valueOf(entry.get("_id"));
    }

    /** Every recorded execution. */
    List<Execution> executions() {
        List<Execution> executions = new ArrayList<>();
        for (Document effect : database.getCollection(Effects.COLLECTION).find()) {
            executions.add(Execution.from(effect));
        }
        return executions;
    }
}
