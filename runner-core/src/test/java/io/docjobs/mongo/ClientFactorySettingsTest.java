package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.internal.MongoClientImpl;
import io.docjobs.QueueConfig;
import org.junit.jupiter.api.Test;

/** The settings {@link ClientFactory#create} builds, read back from the client (which never gets to connect here). */
class ClientFactorySettingsTest {

    private static MongoClientSettings settingsFor(String connectionString) {
        try (MongoClient client = ClientFactory.create(QueueConfig.builder().connectionString(connectionString).build())) {
            return ((MongoClientImpl) client).getSettings();
        }
    }

    @Test
    void documentDbHostsGetRetryWritesOffUnlessTheStringSaysOtherwise() {
        assertThat(settingsFor("mongodb://db.cluster-x.docdb.amazonaws.com.invalid:27017").getRetryWrites()).isFalse();
        assertThat(settingsFor("mongodb://db.docdb-elastic.amazonaws.com.invalid:27017").getRetryWrites()).isFalse();
        assertThat(settingsFor("mongodb://other.invalid:27017,db.docdb.amazonaws.com.invalid:27017").getRetryWrites())
                .as("any DocumentDB host among several").isFalse();
        assertThat(settingsFor("mongodb://db.docdb.amazonaws.com.invalid:27017/?retryWrites=true").getRetryWrites())
                .isTrue();
        assertThat(settingsFor("mongodb://mongo.invalid:27017").getRetryWrites()).isTrue();
    }

    @Test
    void theApplicationNameDefaultsToDocjobs() {
        assertThat(settingsFor("mongodb://mongo.invalid:27017").getApplicationName()).isEqualTo("docjobs");
        assertThat(settingsFor("mongodb://mongo.invalid:27017/?appName=billing").getApplicationName()).isEqualTo("billing");
    }
}
