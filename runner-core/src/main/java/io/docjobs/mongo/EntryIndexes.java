package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.SCHEDULED_AT;
import static io.docjobs.mongo.Entries.SCHEDULE_ID;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.util.List;

/** The indexes the queue's queries rely on; creating them is idempotent. */
final class EntryIndexes {
    static final String CLAIM_INDEX = "docjobs_claim";
    static final String DEDUP_INDEX = "docjobs_dedup";
    static final String DEAD_INDEX = "docjobs_dead";
    static final String SCHEDULE_INDEX = "docjobs_schedule";

    private final EntryStore store;

    EntryIndexes(EntryStore store) {
        this.store = store;
    }

    void ensure() {
        List<IndexModel> indexes = List.of(
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(STATE, TYPE), Indexes.descending(PRIORITY),
                        Indexes.ascending(VISIBLE_AT)), new IndexOptions().name(CLAIM_INDEX)),
                // Sparse and unique on a field set only while unfinished: finished entries free the key
                // without a partial filter (which DocumentDB and the embedded server do not honour).
                new IndexModel(Indexes.ascending(ACTIVE_DEDUP_KEY), new IndexOptions().name(DEDUP_INDEX)
                        .unique(true).sparse(true)),
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(STATE), Indexes.descending(DEAD_AT)),
                        new IndexOptions().name(DEAD_INDEX)),
                // Sparse: only entries made by schedules, for the clean-up of held firings after a takeover.
                new IndexModel(Indexes.ascending(SCHEDULE_ID, SCHEDULED_AT), new IndexOptions().name(SCHEDULE_INDEX)
                        .sparse(true)));
        store.runner.run("index creation", attempt -> store.entries.createIndexes(indexes));
    }
}
