package io.docjobs;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The queue contract against a real MongoDB or DocumentDB, e.g.
 * {@code DOCJOBS_TEST_MONGODB_URI=mongodb://localhost:27017 mvn verify}. Skipped when the variable
 * is not set.
 */
@EnabledIfEnvironmentVariable(named = "DOCJOBS_TEST_MONGODB_URI", matches = ".+")
class RealMongoJobQueueTest extends ConcurrentClaimContract {
    private static MongoClient client;

    @BeforeAll
    static void connect() {
        client = MongoClients.create(System.getenv("DOCJOBS_TEST_MONGODB_URI"));
    }

    @AfterAll
    static void disconnect() {
        client.close();
    }

    @Override
    protected MongoClient client() {
        return client;
    }
}
