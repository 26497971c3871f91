package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoInterruptedException;
import com.mongodb.MongoSocketReadException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.docjobs.RecordingLogger;
import io.docjobs.mongo.InsertWatcher.Verdict;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

/**
 * The change-stream watcher across failures: scripted streams and server errors, back-off recorded
 * instead of waited; and once against the embedded server, with and without its oplog.
 */
class InsertWatcherTest {
    private static final Object NOTHING_NEW = new Object();
    private static final Duration PATIENCE = Duration.ofSeconds(5);

    /** What each open returns, in order: a {@link FakeStream} or a RuntimeException to throw. Opens wait for it. */
    private final BlockingQueue<Object> opens = new LinkedBlockingQueue<>();
    private final List<BsonDocument> openedAfter = Collections.synchronizedList(new ArrayList<>());
    private final List<Duration> pauses = new CopyOnWriteArrayList<>();
    private final List<Set<String>> heard = new CopyOnWriteArrayList<>();
    private final RecordingLogger log = new RecordingLogger();
    private InsertWatcher watcher;

    @AfterEach
    void closeWatcher() {
        if (watcher != null) {
            watcher.close();
        }
    }

    private InsertWatcher start(InsertWatcher.Sleeper sleeper) {
        watcher = new InsertWatcher("db.jobs", resumeToken -> {
            openedAfter.add(resumeToken);
            Object next = take(opens);
            if (next instanceof RuntimeException e) {
                throw e;
            }
            return (FakeStream) next;
        }, sleeper, log, heard::add);
        return watcher;
    }

    private InsertWatcher start() {
        return start(pauses::add);
    }

    private static Object take(BlockingQueue<Object> queue) {
        try {
            return queue.take();
        } catch (InterruptedException e) {
            throw new MongoInterruptedException("interrupted", e); // what the driver throws
        }
    }

    static MongoCommandException commandError(int code, String message) {
        return new MongoCommandException(new BsonDocument("ok", new BsonDouble(0)).append("code", new BsonInt32(code))
                .append("errmsg", new BsonString(message)), new ServerAddress());
    }

    static MongoCommandException notPrimary() {
        return commandError(10107, "not primary");
    }

    static BsonDocument token(int n) {
        return new BsonDocument("_data", new BsonString("token-" + n));
    }

    /** A stream that returns what the test pushes, waiting for it like a server's await. */
    static final class FakeStream implements InsertWatcher.Stream {
        private final BlockingQueue<Object> items = new LinkedBlockingQueue<>();
        private volatile BsonDocument resumeToken;
        private int inserts;

        FakeStream push(Object... next) {
            items.addAll(List.of(next));
            return this;
        }

        @Override
        public String nextType() {
            Object next = take(items);
            if (next instanceof RuntimeException e) {
                throw e;
            }
            if (next instanceof String type) {
                resumeToken = token(++inserts);
                return type;
            }
            return null;
        }

        @Override
        public BsonDocument resumeToken() {
            return resumeToken;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aNotPrimaryErrorWhileFollowingReopensAfterTheLastInsertSeen() {
        FakeStream first = new FakeStream().push("email", notPrimary());
        FakeStream second = new FakeStream();
        opens.addAll(List.of(first, second));

        start();

        await().atMost(PATIENCE).until(() -> heard.size() == 3);
        assertThat(heard).as("after every open the pollers look once").containsExactly(Set.of(), Set.of("email"), Set.of());
        assertThat(openedAfter).containsExactly(null, token(1));
        assertThat(pauses).containsExactly(InsertWatcher.FIRST_BACKOFF);
        assertThat(watcher.isAlive()).isTrue();
    }

    @Test
    void errorsAtReopenBackOffExponentiallyUpToTheCapAndWarnOncePerOutage() {
        FakeStream following = new FakeStream().push(NOTHING_NEW);
        for (int i = 0; i < 7; i++) {
            opens.add(i % 2 == 0 ? notPrimary() : new MongoTimeoutException("no primary"));
        }
        opens.add(following);

        start();

        await().atMost(PATIENCE).until(() -> log.at(Level.INFO).stream().anyMatch(line -> line.contains("works again")));
        assertThat(pauses).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4),
                Duration.ofSeconds(8), Duration.ofSeconds(16), Duration.ofSeconds(30), Duration.ofSeconds(30));
        assertThat(log.at(Level.WARN)).hasSize(1);
        assertThat(log.at(Level.WARN).get(0)).contains("not primary");
        assertThat(heard).containsExactly(Set.of());

        // A second outage starts again from the shortest pause, with one more warning.
        following.push(commandError(11600, "interrupted at shutdown"));
        opens.addAll(List.of(notPrimary(), new FakeStream().push(NOTHING_NEW)));
        await().atMost(PATIENCE).until(() -> log.at(Level.INFO).stream().filter(line -> line.contains("works again")).count() == 2);
        assertThat(pauses.subList(7, pauses.size())).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
        assertThat(log.at(Level.WARN)).hasSize(2);
        assertThat(heard).containsExactly(Set.of(), Set.of());
    }

    @Test
    void aResumePointTheServerNoLongerHasStartsAFreshStreamAtOnce() {
        opens.addAll(List.of(new FakeStream().push("email", notPrimary()),
                commandError(286, "Resume of change stream was not possible, as the resume point may no longer be in the oplog"),
                new FakeStream()));

        start();

        await().atMost(PATIENCE).until(() -> heard.size() == 3);
        assertThat(openedAfter).containsExactly(null, token(1), null);
        assertThat(pauses).containsExactly(InsertWatcher.FIRST_BACKOFF);
    }

    @Test
    void changeStreamsNotSupportedAtTheFirstOpenStopForGoodWithOneInfoLine() {
        opens.add(commandError(40573, "The $changeStream stage is only supported on replica sets"));

        start();

        await().atMost(PATIENCE).until(() -> !watcher.isAlive());
        assertThat(openedAfter).hasSize(1);
        assertThat(heard).isEmpty();
        assertThat(log.lines()).singleElement().satisfies(line -> {
            assertThat(line.level()).isEqualTo(Level.INFO);
            assertThat(line.message()).contains("not available on db.jobs").contains("only supported on replica sets");
        });
    }

    @Test
    void closeStopsAWatcherWaitingForInserts() {
        opens.add(new FakeStream());
        start();
        await().atMost(PATIENCE).until(() -> heard.size() == 1);

        watcher.close();

        await().atMost(PATIENCE).until(() -> !watcher.isAlive());
    }

    @Test
    void closeStopsAWatcherInItsBackOff() {
        CountDownLatch backingOff = new CountDownLatch(1);
        opens.add(notPrimary());
        start(duration -> {
            backingOff.countDown();
            new CountDownLatch(1).await(); // a back-off that only an interrupt ends
        });
        await().atMost(PATIENCE).until(() -> backingOff.getCount() == 0);

        watcher.close();

        await().atMost(PATIENCE).until(() -> !watcher.isAlive());
        assertThat(openedAfter).hasSize(1);
    }

    @Test
    void onlyAFreshFirstOpenCanFindChangeStreamsUnsupported() {
        MongoCommandException replicaSetsOnly = commandError(40573, "The $changeStream stage is only supported on replica sets");
        MongoCommandException documentDb = commandError(136,
                "modifyChangeStreams has not been run for this collection/database/cluster");
        MongoCommandException codeless = new MongoCommandException(new BsonDocument("ok", new BsonDouble(0))
                .append("errmsg", new BsonString("Unknown error: null")), new ServerAddress());
        MongoCommandException historyLost = commandError(286, "resume point may no longer be in the oplog");

        for (MongoCommandException unsupported : List.of(replicaSetsOnly, documentDb, codeless,
                commandError(115, "CommandNotSupported"), commandError(59, "no such command: 'aggregate'"),
                commandError(40324, "Unrecognized pipeline stage name: '$changeStream'"),
                commandError(2, "change streams are not enabled on this cluster"))) {
            assertThat(InsertWatcher.classify(unsupported, true, false, false)).as(unsupported.getMessage())
                    .isEqualTo(Verdict.UNAVAILABLE);
            assertThat(InsertWatcher.classify(unsupported, true, false, true)).as("streams worked before")
                    .isEqualTo(Verdict.RETRY);
            assertThat(InsertWatcher.classify(unsupported, false, false, false)).as("while reading")
                    .isEqualTo(Verdict.RETRY);
            assertThat(InsertWatcher.classify(unsupported, true, true, true)).as("when resuming: try from now")
                    .isEqualTo(Verdict.START_FRESH);
        }
        for (RuntimeException passing : List.of(notPrimary(), commandError(11602, "InterruptedDueToReplStateChange"),
                commandError(91, "ShutdownInProgress"), commandError(13436, "node is recovering"),
                new MongoSocketReadException("reset", new ServerAddress()), new MongoTimeoutException("no primary"),
                new IllegalArgumentException("a bug"))) {
            assertThat(InsertWatcher.classify(passing, true, false, false)).as(passing.toString()).isEqualTo(Verdict.RETRY);
            assertThat(InsertWatcher.classify(passing, true, true, true)).as(passing.toString()).isEqualTo(Verdict.RETRY);
        }
        assertThat(InsertWatcher.classify(historyLost, true, true, true)).isEqualTo(Verdict.START_FRESH);
        assertThat(InsertWatcher.classify(historyLost, false, true, true)).isEqualTo(Verdict.START_FRESH);
        assertThat(InsertWatcher.classify(historyLost, true, false, false)).as("no resume point to drop").isEqualTo(Verdict.RETRY);
        assertThat(InsertWatcher.classify(commandError(280, "cannot resume stream; the resume token was not found"),
                true, true, true)).isEqualTo(Verdict.START_FRESH);
    }

    @Test
    void onTheEmbeddedServerInsertsAreHeardWithTheOplogAndTheWatcherStopsQuietlyWithoutIt() {
        for (boolean oplog : new boolean[] {true, false}) {
            MongoServer server = new MongoServer(new MemoryBackend());
            if (oplog) {
                server.enableOplog();
            }
            InetSocketAddress address = server.bind();
            try (MongoClient client = MongoClients.create("mongodb://" + address.getHostString() + ":" + address.getPort())) {
                MongoCollection<Document> entries = client.getDatabase("docjobs_test").getCollection("watched");
                List<Set<String>> seen = new CopyOnWriteArrayList<>();
                RecordingLogger serverLog = new RecordingLogger();
                Consumer<Set<String>> listener = seen::add;
                InsertWatcher real = new InsertWatcher("docjobs_test.watched", InsertWatcher.streamsOf(entries),
                        duration -> { }, serverLog, listener);
                try {
                    if (oplog) {
                        await().atMost(PATIENCE).until(() -> seen.contains(Set.of()));
                        entries.insertOne(new Document("type", "email"));
                        await().atMost(PATIENCE).until(() -> seen.contains(Set.of("email")));
                        assertThat(serverLog.at(Level.WARN)).isEmpty();
                    } else {
                        await().atMost(PATIENCE).until(() -> !real.isAlive());
                        assertThat(serverLog.lines()).singleElement().satisfies(line ->
                                assertThat(line.message()).contains("change streams are not available"));
                        assertThat(seen).isEmpty();
                    }
                } finally {
                    real.close();
                }
            } finally {
                server.shutdownNow();
            }
        }
    }

    /**
     * The embedded server answers an empty change-stream read at once instead of waiting: the
     * watcher must not spin a core on it, and still hears an insert within tens of milliseconds.
     */
    @Test
    void anIdleWatcherOnAServerThatDoesNotWaitCostsLittleCpu() {
        MongoServer server = new MongoServer(new MemoryBackend());
        server.enableOplog();
        InetSocketAddress address = server.bind();
        try (MongoClient client = MongoClients.create("mongodb://" + address.getHostString() + ":" + address.getPort())) {
            MongoCollection<Document> entries = client.getDatabase("docjobs_test").getCollection("idle");
            List<Set<String>> seen = new CopyOnWriteArrayList<>();
            InsertWatcher watcher = new InsertWatcher("docjobs_test.idle", InsertWatcher.streamsOf(entries),
                    duration -> { }, new RecordingLogger(), seen::add);
            try {
                await().atMost(PATIENCE).until(() -> seen.contains(Set.of()));
                java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
                long id = Thread.getAllStackTraces().keySet().stream()
                        .filter(thread -> thread.getName().equals("docjobs-docjobs_test.idle-change-stream"))
                        .findFirst().orElseThrow().getId();
                long before = threads.getThreadCpuTime(id);

                await().during(java.time.Duration.ofSeconds(1)).atMost(java.time.Duration.ofSeconds(3))
                        .until(() -> threads.getThreadCpuTime(id) - before < java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(300));

                long inserted = System.nanoTime();
                entries.insertOne(new Document("type", "email"));
                await().atMost(PATIENCE).until(() -> seen.contains(Set.of("email")));
                assertThat(java.time.Duration.ofNanos(System.nanoTime() - inserted)).isLessThan(java.time.Duration.ofMillis(500));
            } finally {
                watcher.close();
            }
        } finally {
            server.shutdownNow();
        }
    }
}
