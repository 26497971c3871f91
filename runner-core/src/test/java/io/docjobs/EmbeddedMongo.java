package io.docjobs;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;

/** An in-process mongo-java-server and a client connected to it, for tests. */
final class EmbeddedMongo implements AutoCloseable {
    private final MongoServer server;
    private final MongoClient client;
    private final String connectionString;

    EmbeddedMongo() {
        server = new MongoServer(new MemoryBackend());
        InetSocketAddress address = server.bind();
        connectionString = "mongodb://" + address.getHostString() + ":" + address.getPort();
        client = MongoClients.create(connectionString);
    }

    MongoClient client() {
        return client;
    }

    String connectionString() {
        return connectionString;
    }

    @Override
    public void close() {
        client.close();
        server.shutdownNow();
    }
}
