package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
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
    static final String DEAD_INDEX = "docjobs_dead";

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
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(STATE), Indexes.descending(DEAD_AT)),
                        new IndexOptions().name(DEAD_INDEX)));
        store.runner.run("index creation", attempt -> store.entries.createIndexes(indexes));
    }
}
