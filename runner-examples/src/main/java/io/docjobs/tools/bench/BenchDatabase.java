package io.docjobs.tools.bench;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.QueueConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;

/**
 * The database a benchmark runs on: the embedded server (in memory) or a given URI, a client that
 * counts the commands it sends and the claims they lost (so costs are measured in round trips, not
 * guessed), and a fresh collection per measurement.
 */
final class BenchDatabase implements AutoCloseable {
    static final String DATABASE = "docjobs_bench";
    static final String TYPE = "bench";

    private final MongoServer server;
    private final MongoClient client;
    private final String description;
    private final CommandCounter counter = new CommandCounter();
    private final AtomicInteger collections = new AtomicInteger();

    BenchDatabase(String uri) {
        String connection = uri;
        if (uri == null || uri.isBlank()) {
            server = new MongoServer(new MemoryBackend());
            InetSocketAddress address = server.bind();
            connection = "mongodb://" + address.getHostString() + ":" + address.getPort();
            description = "embedded mongo-java-server (in memory)";
        } else {
            server = null;
            description = "MongoDB at " + new ConnectionString(uri).getHosts();
        }
        client = MongoClients.create(MongoClientSettings.builder().applyConnectionString(new ConnectionString(connection))
                .addCommandListener(counter).build());
    }

    String description() {
        return description;
    }

    MongoClient client() {
        return client;
    }

    /** Commands sent so far by this client (every round trip, whoever made it). */
    long commands() {
        return counter.snapshot().total();
    }

    /** {@code update} commands sent so far (a bulk of lease extensions is one). */
    long updates() {
        return counter.snapshot().updates();
    }

    /** Every count so far, by kind, with the claim conflicts: subtract two for one run. */
    CommandCounter.Snapshot counts() {
        return counter.snapshot();
    }

    /** Count and client-side time (nanos) of every command shape so far. */
    java.util.Map<String, long[]> shapes() {
        return counter.shapes();
    }

    /** A fresh, empty collection name for one measurement. */
    String freshCollection() {
        return "bench_" + collections.incrementAndGet() + "_" + System.nanoTime();
    }

    MongoCollection<Document> collection(String name) {
        return client.getDatabase(DATABASE).getCollection(name);
    }

    /** A queue on a fresh collection, with the clock sync off (one host). */
    JobQueue queue(String collection) {
        // The embedded server keeps no oplog, so it has no change streams to follow.
        return JobQueue.using(client, QueueConfig.builder().database(DATABASE).collection(collection)
                .serverClockSync(Duration.ZERO).changeStreams(server == null).build());
    }

    /** Puts {@code count} ready entries into the queue's collection, in batches. */
    static void fill(JobQueue queue, int count) {
        List<JobRequest> batch = new ArrayList<>(1000);
        for (int i = 0; i < count; i++) {
            batch.add(JobRequest.builder(TYPE).payload(new Document("n", i)).build());
            if (batch.size() == 1000) {
                queue.enqueueAll(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            queue.enqueueAll(batch);
        }
    }

    void drop(String collection) {
        collection(collection).drop();
    }

    @Override
    public void close() {
        client.close();
        if (server != null) {
            server.shutdownNow();
        }
    }
}
