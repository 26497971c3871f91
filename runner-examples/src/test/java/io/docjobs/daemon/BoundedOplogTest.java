package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.mongodb.MongoCommandException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.OperationType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded database's change streams, served by its bounded, in-memory oplog. */
class BoundedOplogTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    @Test
    void aStreamSeesTheWritesToItsCollectionInOrderAndResumesAfterAToken() {
        try (EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
                MongoClient client = MongoClients.create(database.connectionString())) {
            MongoCollection<Document> jobs = client.getDatabase("docjobs").getCollection("jobs");
            MongoCollection<Document> other = client.getDatabase("docjobs").getCollection("other");
            jobs.insertOne(new Document("_id", 0).append("type", "before the stream"));
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> stream = jobs.watch().cursor()) {
                jobs.insertOne(new Document("_id", 1).append("type", "email").append("payload", new Document("to", "a@b")));
                other.insertOne(new Document("_id", 1).append("type", "elsewhere"));
                jobs.updateOne(Filters.eq("_id", 1), Updates.set("state", "leased"));
                jobs.deleteOne(Filters.eq("_id", 1));
                jobs.insertOne(new Document("_id", 2).append("type", "report"));

                ChangeStreamDocument<Document> insert = next(stream);
                assertThat(insert.getOperationType()).isEqualTo(OperationType.INSERT);
                assertThat(insert.getFullDocument()).isEqualTo(new Document("_id", 1).append("type", "email")
                        .append("payload", new Document("to", "a@b"))); // as inserted, not as updated since
                assertThat(insert.getNamespace().getFullName()).isEqualTo("docjobs.jobs");
                assertThat(insert.getDocumentKey()).isEqualTo(BsonDocument.parse("{_id: 1}"));
                ChangeStreamDocument<Document> update = next(stream);
                assertThat(update.getOperationType()).isEqualTo(OperationType.UPDATE);
                assertThat(update.getDocumentKey()).isEqualTo(BsonDocument.parse("{_id: 1}"));
                ChangeStreamDocument<Document> delete = next(stream);
                assertThat(delete.getOperationType()).isEqualTo(OperationType.DELETE);
                BsonDocument afterDelete = delete.getResumeToken();
                assertThat(next(stream).getFullDocument()).containsEntry("_id", 2);
                assertThat(stream.tryNext()).isNull();

                jobs.insertOne(new Document("_id", 3));
                try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> resumed = jobs.watch()
                        .resumeAfter(afterDelete).cursor()) {
                    assertThat(next(resumed).getFullDocument()).containsEntry("_id", 2);
                    assertThat(next(resumed).getFullDocument()).containsEntry("_id", 3);
                }
            }
        }
    }

    @Test
    void onlyTheInsertsPassAnInsertFilterAndAStreamSkipsTheRestWithoutLookingAtThemAgain() {
        try (EmbeddedDatabase database = EmbeddedDatabase.start(null, 0, 100, 1 << 20);
                MongoClient client = MongoClients.create(database.connectionString())) {
            MongoCollection<Document> jobs = client.getDatabase("docjobs").getCollection("jobs");
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> inserts = jobs
                    .watch(List.of(Aggregates.match(Filters.eq("operationType", "insert")))).cursor()) {
                jobs.insertOne(new Document("_id", 1).append("type", "email"));
                assertThat(next(inserts).getFullDocument()).containsEntry("type", "email");
                for (int i = 0; i < 60; i++) {
                    jobs.updateOne(Filters.eq("_id", 1), Updates.inc("n", 1));
                }
                assertThat(inserts.tryNext()).isNull(); // read past the 60 updates
                for (int i = 0; i < 60; i++) {
                    jobs.updateOne(Filters.eq("_id", 1), Updates.inc("n", 1));
                }
                // 121 writes, 100 kept: had the stream stayed at its last insert, its history would be gone.
                assertThat(inserts.tryNext()).isNull();
                jobs.insertOne(new Document("_id", 2).append("type", "report"));
                assertThat(next(inserts).getFullDocument()).containsEntry("type", "report");
            }
        }
    }

    @Test
    void theOplogKeepsTheLastWritesUpToItsBoundsAndAStreamThatFellBehindLearnsItsHistoryIsLost() {
        try (LogCapture logs = new LogCapture();
                EmbeddedDatabase database = EmbeddedDatabase.start(null, 0, 100, 1 << 20);
                MongoClient client = MongoClients.create(database.connectionString())) {
            MongoCollection<Document> jobs = client.getDatabase("docjobs").getCollection("jobs");
            BoundedOplog oplog = database.oplog();
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> behind = jobs.watch().cursor()) {
                jobs.insertOne(new Document("_id", -1));
                BsonDocument token = next(behind).getResumeToken();
                List<Document> batch = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    batch.add(new Document("_id", i).append("type", "email"));
                }
                jobs.insertMany(batch);
                assertThat(oplog.size()).isEqualTo(100);

                assertThatThrownBy(behind::tryNext).isInstanceOfSatisfying(MongoCommandException.class,
                        e -> assertThat(e.getErrorCode()).isEqualTo(286));
                assertThatThrownBy(() -> jobs.watch().resumeAfter(token).cursor().tryNext())
                        .isInstanceOfSatisfying(MongoCommandException.class, e -> assertThat(e.getErrorCode()).isEqualTo(286));
            }
            // Said in one line each, not as the server's ERROR with a stack trace.
            assertThat(List.copyOf(logs.events())).noneMatch(e -> e.getLevel() == Level.ERROR)
                    .filteredOn(e -> e.getLoggerName().equals(BoundedOplog.class.getName()))
                    .extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                            "a change stream on docjobs.jobs fell more than 100 writes (or 1048576 bytes) behind: it fails"
                                    + " with ChangeStreamHistoryLost (286), and its client opens a fresh one",
                            "a change stream on docjobs.jobs asked to resume from before the oldest write kept: it fails"
                                    + " with ChangeStreamHistoryLost (286), and its client opens a fresh one");
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> fresh = jobs.watch().cursor()) {
                jobs.deleteOne(Filters.eq("_id", 0));
                assertThat(next(fresh).getOperationType()).isEqualTo(OperationType.DELETE);
            }

            // Bytes: documents of ~10 KB against a bound of 100 KB.
            String tenKb = "x".repeat(10_000);
            try (EmbeddedDatabase small = EmbeddedDatabase.start(null, 0, 1_000, 100_000);
                    MongoClient smallClient = MongoClients.create(small.connectionString())) {
                MongoCollection<Document> big = smallClient.getDatabase("docjobs").getCollection("jobs");
                for (int i = 0; i < 50; i++) {
                    big.insertOne(new Document("_id", i).append("payload", tenKb));
                }
                assertThat(small.oplog().bytes()).isBetween(80_000L, 100_000L);
                assertThat(small.oplog().size()).isBetween(8, 10);
            }
        }
    }

    @Test
    void underSustainedWritesTheOplogStaysWithinItsDefaultBounds() {
        try (EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
                MongoClient client = MongoClients.create(database.connectionString())) {
            MongoCollection<Document> jobs = client.getDatabase("docjobs").getCollection("jobs");
            BoundedOplog oplog = database.oplog();
            long largest = 0;
            int writes = 0;
            for (int round = 0; round < 10; round++) {
                List<Document> batch = new ArrayList<>();
                for (int i = 0; i < 1_000; i++) {
                    batch.add(new Document("type", "email").append("state", "ready").append("payload",
                            new Document("to", "user" + i + "@example.com").append("subject", "a job of round " + round)));
                }
                jobs.insertMany(batch);
                jobs.updateMany(Filters.eq("state", "ready"), Updates.set("state", "leased"));
                jobs.deleteMany(Filters.eq("state", "leased"));
                writes += 3_000;
                largest = Math.max(largest, oplog.size());
                assertThat(oplog.bytes()).isLessThanOrEqualTo(EmbeddedDatabase.OPLOG_MAX_BYTES);
            }
            assertThat(writes).isEqualTo(3 * EmbeddedDatabase.OPLOG_MAX_ENTRIES);
            assertThat(largest).isEqualTo(EmbeddedDatabase.OPLOG_MAX_ENTRIES);
        }
    }

    @Test
    void onTheDataFileStreamsWorkAndARestartKeepsTheDataButNotTheHistory() {
        Path file = dir.resolve("docjobs.h2");
        AtomicReference<BsonDocument> token = new AtomicReference<>();
        try (EmbeddedDatabase database = EmbeddedDatabase.start(file, 0);
                MongoClient client = MongoClients.create(database.connectionString())) {
            MongoCollection<Document> jobs = client.getDatabase("docjobs").getCollection("jobs");
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> stream = jobs.watch().cursor()) {
                jobs.insertOne(new Document("_id", 1).append("type", "email"));
                ChangeStreamDocument<Document> insert = next(stream);
                assertThat(insert.getFullDocument()).containsEntry("type", "email");
                token.set(insert.getResumeToken());
            }
            // Nothing of the oplog goes into the file.
            assertThat(client.getDatabase("local").listCollectionNames()).doesNotContain("oplog.rs");
        }
        try (LogCapture logs = new LogCapture();
                EmbeddedDatabase database = EmbeddedDatabase.start(file, 0);
                MongoClient client = MongoClients.create(database.connectionString())) {
            MongoCollection<Document> jobs = client.getDatabase("docjobs").getCollection("jobs");
            assertThat(jobs.countDocuments()).isEqualTo(1);
            assertThat(database.oplog().size()).isZero();
            // A stream resuming from before the restart is told that its history is gone ...
            assertThatThrownBy(() -> jobs.watch().resumeAfter(token.get()).cursor().tryNext())
                    .isInstanceOfSatisfying(MongoCommandException.class, e -> assertThat(e.getErrorCode()).isEqualTo(286));
            // ... and a fresh one sees what comes next.
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> stream = jobs.watch().cursor()) {
                jobs.insertOne(new Document("_id", 2).append("type", "report"));
                assertThat(next(stream).getFullDocument()).containsEntry("type", "report");
            }
            assertThat(List.copyOf(logs.events())).noneMatch(e -> e.getLevel() == Level.ERROR)
                    .anyMatch(e -> e.getFormattedMessage().startsWith("a change stream on docjobs.jobs asked to resume after"
                            + " a token from before this server started"));
        }
    }

    /** The next event; the embedded server answers at once, so this polls until one is there. */
    private static ChangeStreamDocument<Document> next(MongoChangeStreamCursor<ChangeStreamDocument<Document>> stream) {
        AtomicReference<ChangeStreamDocument<Document>> next = new AtomicReference<>();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> {
            next.set(stream.tryNext());
            return next.get() != null;
        });
        return next.get();
    }
}
