package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.docjobs.QueueConfig;
import org.junit.jupiter.api.Test;

/** The write concern and read preference the queue's collections are used with (no server needed). */
class EntryStoreTest {

    @Test
    void withoutAWriteConcernOfTheClientsWritesWaitForAMajority() {
        try (MongoClient client = MongoClients.create("mongodb://localhost:1")) {
            EntryStore store = new EntryStore(client, QueueConfig.builder().build());

            assertThat(store.entries.getWriteConcern()).isEqualTo(WriteConcern.MAJORITY);
            assertThat(store.entries.getReadPreference()).isEqualTo(ReadPreference.primary());
        }
    }

    @Test
    void aWriteConcernTheClientSetsIsKept() {
        try (MongoClient client = MongoClients.create("mongodb://localhost:1/?w=2")) {
            EntryStore store = new EntryStore(client, QueueConfig.builder().build());

            assertThat(store.entries.getWriteConcern()).isEqualTo(new WriteConcern(2));
        }
    }
}
