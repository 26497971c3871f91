package io.docjobs;

import com.mongodb.client.MongoClient;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The queue contract against the embedded mongo-java-server. */
class EmbeddedJobQueueTest extends ConcurrentClaimContract {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    @Override
    protected MongoClient client() {
        return mongo.client();
    }
}
