package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The indexes made at start-up: the dead-letter ones in the order of the listing, the old one gone. */
class EntryIndexesTest {
    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    @Test
    void startUpReplacesTheOldClaimAndDeadLetterIndexesAndIsIdempotent() {
        String collection = mongo.freshCollection();
        MongoCollection<Document> entries = mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection);
        entries.createIndex(Indexes.compoundIndex(Indexes.ascending("state"), Indexes.descending("deadAt")),
                new IndexOptions().name("docjobs_dead"));
        entries.createIndex(Indexes.compoundIndex(Indexes.ascending("state", "type"), Indexes.descending("priority"),
                Indexes.ascending("visibleAt")), new IndexOptions().name("docjobs_claim"));
        QueueConfig config = QueueConfig.builder().collection(collection).build();

        try (JobQueue first = JobQueue.using(mongo.client(), config)) {
            first.ensureIndexes();
        }
        try (JobQueue second = JobQueue.using(mongo.client(), config)) {
            assertThat(second.deadLetters(null, null, 1).entries()).isEmpty();
        }

        List<Document> indexes = entries.listIndexes().into(new ArrayList<>());
        assertThat(indexes).extracting(index -> index.getString("name"))
                .containsExactlyInAnyOrder("_id_", "docjobs_claim_by_type", "docjobs_dedup", "docjobs_dead_at", "docjobs_dead_type",
                        "docjobs_schedule", "docjobs_type_newest", "docjobs_lease_fence");
        assertThat(key(indexes, "docjobs_claim_by_type")).isEqualTo(new Document("type", 1).append("priority", -1)
                .append("visibleAt", 1).append("state", 1));
        assertThat(key(indexes, "docjobs_dead_at")).isEqualTo(new Document("deadAt", -1).append("_id", -1));
        assertThat(key(indexes, "docjobs_dead_type")).isEqualTo(new Document("type", 1).append("deadAt", -1).append("_id", -1));
        assertThat(key(indexes, "docjobs_type_newest")).isEqualTo(new Document("type", 1).append("_id", -1));
        // The embedded server plans no queries (its buildInfo has no gitVersion): the batch claim's fence needs an index there.
        assertThat(key(indexes, "docjobs_lease_fence")).isEqualTo(new Document("_id", 1).append("visibleAt", 1));
        List<Document> registry = mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE)
                .getCollection(collection + "_supervisors").listIndexes().into(new ArrayList<>());
        assertThat(registry).filteredOn(index -> "docjobs_supervisors_ttl".equals(index.getString("name"))).singleElement()
                .satisfies(index -> assertThat(index.get("key", Document.class)).isEqualTo(new Document("lastSeen", 1)))
                .satisfies(index -> assertThat(((Number) index.get("expireAfterSeconds")).longValue()).isEqualTo(7 * 24 * 3600L));
    }

    private static Document key(List<Document> indexes, String name) {
        return indexes.stream().filter(index -> name.equals(index.getString("name"))).findFirst().orElseThrow()
                .get("key", Document.class);
    }
}
