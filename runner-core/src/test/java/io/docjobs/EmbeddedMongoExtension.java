package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An embedded mongo-java-server (and a client on it) for a test class: registered on a static
 * field it serves the whole class, on an instance field each test gets a fresh one.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
 * ... JobQueue.using(mongo.client(), config) ...
 * }</pre>
 *
 * <p>{@link #withOplog()} for change streams; {@link #behindFaultProxy()} puts a {@link TcpProxy}
 * in front of it for tests that cut connections or lose replies. Started before the class's own
 * {@code @BeforeAll}/{@code @BeforeEach} methods, stopped after its {@code @AfterEach}/{@code
 * @AfterAll} methods, so those can open and close queues on it.
 *
 * <p>Public because runner-examples' tests use it too, through runner-core's test jar.
 */
public final class EmbeddedMongoExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    private final boolean oplog;
    private final boolean proxied;
    private EmbeddedMongo mongo;
    private TcpProxy proxy;
    private boolean perClass;
    /** Collections handed out by {@link #freshCollection()} during the current test. */
    private final List<String> fresh = new ArrayList<>();
    /** Clients made by {@link #recordingClient} during the current test. */
    private final List<MongoClient> recording = new ArrayList<>();

    private EmbeddedMongoExtension(boolean oplog, boolean proxied) {
        this.oplog = oplog;
        this.proxied = proxied;
    }

    /** A plain server. */
    public static EmbeddedMongoExtension server() {
        return new EmbeddedMongoExtension(false, false);
    }

    /** A server with an oplog, so that change streams work. */
    public static EmbeddedMongoExtension withOplog() {
        return new EmbeddedMongoExtension(true, false);
    }

    /** A server with a {@link TcpProxy} in front: connect through {@link #proxy()} to inject faults. */
    static EmbeddedMongoExtension behindFaultProxy() {
        return new EmbeddedMongoExtension(false, true);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        for (String collection : fresh) {
            client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection).drop();
        }
        fresh.clear();
        recording.forEach(MongoClient::close);
        recording.clear();
        if (!perClass) {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    /** A client connected to the server directly (never through the proxy). */
    public MongoClient client() {
        return running().client();
    }

    /** The server's own connection string, {@code mongodb://host:port}. */
    public String connectionString() {
        return running().connectionString();
    }

    /**
     * A collection name of its own for one test, in the default database, dropped after the test:
     * tests sharing a per-class server stay apart.
     */
    public String freshCollection() {
        String collection = "jobs_" + java.util.UUID.randomUUID().toString().replace("-", "");
        fresh.add(collection);
        return collection;
    }

    /**
     * A client of its own on the server that adds every command it sends to {@code commands}, for
     * tests that check what the queue asks the database; closed after the test.
     */
    public MongoClient recordingClient(List<org.bson.BsonDocument> commands) {
        MongoClient client = com.mongodb.client.MongoClients.create(com.mongodb.MongoClientSettings.builder()
                .applyConnectionString(new com.mongodb.ConnectionString(connectionString()))
                .addCommandListener(new com.mongodb.event.CommandListener() {
                    @Override
                    public void commandStarted(com.mongodb.event.CommandStartedEvent event) {
                        commands.add(event.getCommand().clone());
                    }
                }).build());
        recording.add(client);
        return client;
    }

    /** The queue's entries as stored in the default collection, read directly (never through the proxy). */
    public MongoCollection<Document> stored() {
        return client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(QueueConfig.DEFAULT_COLLECTION);
    }

    /** The stored entry with this id in the default collection; fails the test if there is none. */
    public Document storedEntry(String id) {
        Document entry = stored().find(new Document("_id", new ObjectId(id))).first();
        assertThat(entry).as("entry " + id + " is stored").isNotNull();
        return entry;
    }

    /** The ids of the entries stored in the default collection. */
    public List<String> storedIds() {
        return stored().find().map(entry -> entry.getObjectId("_id").toHexString()).into(new ArrayList<>());
    }

    /** The fault proxy in front of the server; only with {@link #behindFaultProxy()}. */
    TcpProxy proxy() {
        running();
        if (proxy == null) {
            throw new IllegalStateException("no fault proxy: register EmbeddedMongoExtension.behindFaultProxy()");
        }
        return proxy;
    }

    private EmbeddedMongo running() {
        if (mongo == null) {
            throw new IllegalStateException("the embedded server runs only while a test of the class that registers it runs");
        }
        return mongo;
    }

    private void start() {
        mongo = new EmbeddedMongo(oplog);
        if (proxied) {
            InetSocketAddress address = mongo.address();
            try {
                proxy = new TcpProxy(address.getHostString(), address.getPort());
            } catch (IOException e) {
                mongo.close();
                throw new UncheckedIOException(e);
            }
        }
    }

    private void stop() {
        if (proxy != null) {
            proxy.close();
            proxy = null;
        }
        if (mongo != null) {
            mongo.close();
            mongo = null;
        }
    }
}
