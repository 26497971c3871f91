package io.docjobs;

import com.mongodb.client.MongoClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The queue contract against the embedded mongo-java-server. */
class EmbeddedJobQueueTest extends ConcurrentClaimContract {
    private static EmbeddedMongo mongo;

    @BeforeAll
    static void startServer() {
        mongo = new EmbeddedMongo();
    }

    @AfterAll
    static void stopServer() {
        mongo.close();
    }

    @Override
    protected MongoClient client() {
        return mongo.client();
    }
}
