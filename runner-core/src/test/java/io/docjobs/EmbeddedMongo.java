package io.docjobs;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;

/**
 * An in-process mongo-java-server and a client connected to it, for tests. For a server per test
 * class or per test, register an {@link EmbeddedMongoExtension} instead of opening one by hand.
 */
final class EmbeddedMongo implements AutoCloseable {
    private final MongoServer server;
    private final MongoClient client;
    private final String connectionString;

    EmbeddedMongo() {
        this(false);
    }

    /** @param oplog whether the server keeps an oplog, which change streams need */
    EmbeddedMongo(boolean oplog) {
        server = new MongoServer(new MemoryBackend());
        if (oplog) {
            server.enableOplog();
        }
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

    /** The server's address, {@code host:port}. */
    InetSocketAddress address() {
        return server.getLocalAddress();
    }

    @Override
    public void close() {
        client.close();
        server.shutdownNow();
    }
}
