package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.MongoCommandException;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.util.ArrayList;
import java.util.List;

/** The indexes the queue's queries rely on; creating them is idempotent. */
final class EntryIndexes {
    /**
     * Serves the claim's candidate read, one type per query, in claim order: equality on type,
     * then the sort's own fields, with visible-at bounded within each priority. Replaces
     * {@code docjobs_claim} on {@code (state, type, priority, visibleAt)}, whose {@code $in} on state
     * needs a merge of sorted index ranges that DocumentDB does not do (see the README on dropping it).
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
    /** The server's code for "index not found": another instance dropped it first. */
    private static final int INDEX_NOT_FOUND = 27;

    private final EntryStore store;

    EntryIndexes(EntryStore store) {
        this.store = store;
    }

    void ensure() {
        List<IndexModel> indexes = List.of(
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(TYPE), Indexes.descending(PRIORITY),
                        Indexes.ascending(VISIBLE_AT)), new IndexOptions().name(CLAIM_INDEX)),
                // Sparse and unique on a field set only while unfinished: finished entries free the key
                // without a partial filter (which DocumentDB and the embedded server do not honour).
                new IndexModel(Indexes.ascending(ACTIVE_DEDUP_KEY), new IndexOptions().name(DEDUP_INDEX)
                        .unique(true).sparse(true)),
                // No state in the dead-letter keys: only dead entries have a deadAt, and keys without the
                // state stay as they are when an entry is claimed or released (on MongoDB, no index write).
                // One index per filter: all types, and one type, each in the order of the listing.
                new IndexModel(Indexes.descending(DEAD_AT, ID), new IndexOptions().name(DEAD_AT_INDEX)),
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(TYPE), Indexes.descending(DEAD_AT, ID)),
                        new IndexOptions().name(DEAD_TYPE_INDEX)));
        store.runner.run("index creation", attempt -> store.entries.createIndexes(indexes));
        dropLegacy();
    }

    /**
     * Drops {@link #LEGACY_DEAD_INDEX} if present: the new ones serve everything it served. An
     * older daemon starting later creates it again, and the next start of this version drops it.
     */
    private void dropLegacy() {
        store.runner.run("drop of index " + LEGACY_DEAD_INDEX, attempt -> {
            List<String> names = store.entries.listIndexes().map(index -> index.getString("name")).into(new ArrayList<>());
            if (!names.contains(LEGACY_DEAD_INDEX)) {
                return false;
            }
            try {
                store.entries.dropIndex(LEGACY_DEAD_INDEX);
            } catch (MongoCommandException e) {
                if (e.getErrorCode() != INDEX_NOT_FOUND) {
                    throw e;
                }
            }
            return true;
        });
    }
}
