package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.SCHEDULED_AT;
import static io.docjobs.mongo.Entries.SCHEDULE_ID;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.MongoCommandException;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;

/** The indexes the queue's queries rely on; creating them is idempotent. */
final class EntryIndexes {
    /**
     * Serves the claim's candidate read, one type per query, in claim order: equality on type,
     * then the sort's own fields, with visible-at bounded within each priority; the state last, so
     * the claim's check of the state and the stats' counts are read from the index. Replaces
     * {@code docjobs_claim} on {@code (state, type, priority, visibleAt)}, whose {@code $in} on state
     * needs a merge of sorted index ranges that DocumentDB does not do.
     */
    static final String CLAIM_INDEX = "docjobs_claim_by_type";
    static final String DEDUP_INDEX = "docjobs_dedup";
    /** Dead letters of all types, newest first: {@code deadAt -1, _id -1}. */
    static final String DEAD_AT_INDEX = "docjobs_dead_at";
    /** Dead letters of one type, newest first: {@code type 1, deadAt -1, _id -1}. */
    static final String DEAD_TYPE_INDEX = "docjobs_dead_type";
    /**
     * The dead-letter index of earlier builds ({@code state 1, deadAt -1}): it cannot order by id, so
     * keyset pages cannot use it, and, holding the state, it changed with every claim and release.
     */
    static final String LEGACY_DEAD_INDEX = "docjobs_dead";
    /** The claim index of earlier builds ({@code state 1, type 1, priority -1, visibleAt 1}); see {@link #CLAIM_INDEX}. */
    static final String LEGACY_CLAIM_INDEX = "docjobs_claim";
    static final List<String> LEGACY_INDEXES = List.of(LEGACY_CLAIM_INDEX, LEGACY_DEAD_INDEX);
    /** The server's code for "index not found": another instance dropped it first. */
    private static final int INDEX_NOT_FOUND = 27;
    static final String SCHEDULE_INDEX = "docjobs_schedule";
    /**
     * The job listing of one type, newest first: {@code type 1, _id -1}. Both keys are fixed when an
     * entry is enqueued, so the index costs one key per enqueue and nothing on claims or releases.
     */
    static final String TYPE_NEWEST_INDEX = "docjobs_type_newest";
    /**
     * The leases a worker holds, for the supervisor registry's view of a gone worker: {@code workerId 1},
     * sparse, so entries that were never leased (or were released) are not in it.
     */
    /**
     * The fence of the batch claim's leases ({@code _id 1, visibleAt 1}, unique), made only on a
     * server that may plan no queries (the embedded one; see {@link #mayPlanNoQueries}): it looks an entry up by an index only when
     * the filter's fields are exactly an index's, so {@code {_id, visibleAt}} would otherwise scan
     * the collection once per leased entry. MongoDB and DocumentDB serve that filter from the
     * {@code _id} index; there the index would only cost a write per claim and release.
     */
    static final String LEASE_FENCE_INDEX = "docjobs_lease_fence";
    /** On the registry collection: {@code lastSeen 1}, a TTL of {@link SupervisorRegistry#RETENTION}. */
    static final String REGISTRY_TTL_INDEX = "docjobs_supervisors_ttl";

    private final EntryStore store;

    EntryIndexes(EntryStore store) {
        this.store = store;
    }

    void ensure() {
        List<IndexModel> indexes = List.of(
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(TYPE), Indexes.descending(PRIORITY),
                        Indexes.ascending(VISIBLE_AT, STATE)), new IndexOptions().name(CLAIM_INDEX)),
                // Sparse and unique on a field set only while unfinished: finished entries free the key
                // without a partial filter (which DocumentDB and the embedded server do not honour).
                new IndexModel(Indexes.ascending(ACTIVE_DEDUP_KEY), new IndexOptions().name(DEDUP_INDEX)
                        .unique(true).sparse(true)),
                // No state in the dead-letter keys: only dead entries have a deadAt, and keys without the
                // state stay as they are when an entry is claimed or released (on MongoDB, no index write).
                // One index per filter: all types, and one type, each in the order of the listing.
                new IndexModel(Indexes.descending(DEAD_AT, ID), new IndexOptions().name(DEAD_AT_INDEX)),
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(TYPE), Indexes.descending(DEAD_AT, ID)),
                        new IndexOptions().name(DEAD_TYPE_INDEX)),
                // Sparse: only entries made by schedules, for the clean-up of held firings after a takeover.
                new IndexModel(Indexes.ascending(SCHEDULE_ID, SCHEDULED_AT), new IndexOptions().name(SCHEDULE_INDEX)
                        .sparse(true)),
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(TYPE), Indexes.descending(ID)),
                        new IndexOptions().name(TYPE_NEWEST_INDEX)));
        store.runner.runVoid("index creation", attempt -> store.entries.createIndexes(indexes));
        if (mayPlanNoQueries()) {
            store.runner.runVoid("index creation", attempt -> store.entries.createIndex(
                    Indexes.ascending(ID, VISIBLE_AT), new IndexOptions().name(LEASE_FENCE_INDEX).unique(true)));
        }
        // Registry documents of supervisors stopped or gone a week ago drop out (the embedded server
        // creates TTL indexes but never expires documents).
        store.runner.runVoid("registry index creation", attempt -> store.supervisors.createIndex(
                Indexes.ascending(SupervisorRegistry.LAST_SEEN), new IndexOptions().name(REGISTRY_TTL_INDEX)
                        .expireAfter(SupervisorRegistry.RETENTION.toSeconds(), TimeUnit.SECONDS)));
        store.runner.runVoid("audit index creation", attempt -> store.audit.createIndexes(AuditLog.indexes()));
        dropLegacy();
    }

    /**
     * Whether the server may have no query planner: its {@code buildInfo} names no {@code gitVersion},
     * which every MongoDB build does and the embedded server does not. A server that plans queries
     * but answers without it (possibly DocumentDB) gets an index it does not need: a cost, not an
     * error. {@code buildInfo} rather than a probe of {@code explain}, which the embedded server
     * answers with an error it logs with a stack trace.
     */
    private boolean mayPlanNoQueries() {
        return store.runner.run("build info", attempt ->
                !store.database.runCommand(new Document("buildInfo", 1)).containsKey("gitVersion"));
    }

    /**
     * Drops the indexes of earlier builds if present ({@link #LEGACY_INDEXES}): the new ones serve
     * everything they served, and each costs a write per claim. An older daemon starting later
     * creates them again, and the next start of this version drops them again.
     */
    private void dropLegacy() {
        List<String> present = store.runner.run("list of indexes",
                attempt -> store.entries.listIndexes().map(index -> index.getString("name")).into(new ArrayList<>()));
        for (String legacy : LEGACY_INDEXES) {
            if (present.contains(legacy)) {
                store.runner.runVoid("drop of index " + legacy, attempt -> {
                    try {
                        store.entries.dropIndex(legacy);
                    } catch (MongoCommandException e) {
                        // Another process starting at the same time dropped it first.
                        if (e.getErrorCode() != INDEX_NOT_FOUND) {
                            throw e;
                        }
                    }
                });
            }
        }
    }
}
