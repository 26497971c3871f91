package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Each entry keeps the errors of its last attempts, written with the last error, never in a write of its own. */
class ErrorHistoryTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));
    private JobQueue queue;
    private MongoCollection<Document> raw;

    @BeforeEach
    void openQueue() {
        String collection = mongo.freshCollection();
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
        raw = mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection);
    }

    @AfterEach
    void closeQueue() {
        queue.close();
    }

    private Lease claim() {
        return queue.claim(Set.of("email"), "worker-1").orElseThrow();
    }

    @Test
    void keepsTheLastTenErrorsOldestFirstEndingWithTheLastError() {
        String id = queue.enqueue(JobRequest.builder("email").payload("x").maxAttempts(20).build()).id();
        for (int attempt = 1; attempt <= 12; attempt++) {
            clock.advance(Duration.ofSeconds(1));
            assertThat(queue.release(claim(), Duration.ZERO, JobError.of(new IllegalStateException("failure " + attempt))))
                    .isEqualTo(ReleaseResult.RETRY_SCHEDULED);
        }

        JobEntry entry = queue.get(id).orElseThrow();

        assertThat(entry.errors()).hasSize(JobEntry.MAX_ERRORS);
        assertThat(entry.errors()).extracting(JobError::attempt).containsExactlyElementsOf(IntStream.rangeClosed(3, 12).boxed().toList());
        assertThat(entry.errors()).extracting(JobError::message).startsWith("failure 3").endsWith("failure 12");
        assertThat(entry.errors().get(0).exceptionClass()).isEqualTo(IllegalStateException.class.getName());
        assertThat(entry.errors().get(0).workerId()).isEqualTo("worker-1");
        assertThat(entry.errors().get(9)).isEqualTo(entry.lastError());
        assertThat(entry.cancelRequestedAt()).isNull();
    }

    @Test
    void aDeadLetterKeepsTheErrorsOfEveryAttemptAndListsLeaveThemOut() {
        String id = queue.enqueue(JobRequest.builder("email").payload("x").maxAttempts(2).build()).id();
        queue.release(claim(), Duration.ZERO, JobError.of("first"));
        queue.deadLetter(claim(), JobError.of("second"));

        assertThat(queue.get(id).orElseThrow().errors()).extracting(JobError::message, JobError::attempt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("first", 1), org.assertj.core.groups.Tuple.tuple("second", 2));
        assertThat(queue.deadLetters(null, null, 10).entries()).singleElement()
                .satisfies(dead -> assertThat(dead.errors()).isEmpty())
                .satisfies(dead -> assertThat(dead.lastError().message()).isEqualTo("second"));
        assertThat(queue.jobs(JobQuery.newest()).entries()).singleElement()
                .satisfies(listed -> assertThat(listed.errors()).isEmpty());
    }

    @Test
    void aMalformedHistoryIsShownAsFarAsItCanBeAndReplacedByTheNextError() {
        ObjectId id = new ObjectId();
        raw.insertOne(new Document("_id", id).append("type", "email").append("state", "ready").append("payload", "x")
                .append("visibleAt", java.util.Date.from(clock.instant())).append("errors", "not a list")
                .append("cancelRequestedAt", java.util.Date.from(clock.instant())));

        JobEntry foreign = queue.get(id.toHexString()).orElseThrow();
        assertThat(foreign.errors()).extracting(JobError::message).containsExactly("not a list");
        assertThat(foreign.cancelRequestedAt()).isEqualTo(clock.instant());

        assertThat(queue.release(claim(), Duration.ZERO, JobError.of("real failure"))).isEqualTo(ReleaseResult.RETRY_SCHEDULED);
        assertThat(queue.get(id.toHexString()).orElseThrow().errors()).extracting(JobError::message)
                .containsExactly("real failure");

        raw.updateOne(new Document("_id", id), new Document("$set", new Document("errors",
                List.of(7, new Document("message", 3).append("attempt", "two"), new Document("message", "ok")))));
        assertThat(queue.get(id.toHexString()).orElseThrow().errors()).extracting(JobError::message, JobError::attempt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("7", 0), org.assertj.core.groups.Tuple.tuple("3", 0),
                        org.assertj.core.groups.Tuple.tuple("ok", 0));
        assertThat(queue.deadLetter(claim(), JobError.of("last"))).isEqualTo(ReleaseResult.DEAD_LETTERED);
        assertThat(queue.get(id.toHexString()).orElseThrow().errors()).extracting(JobError::message)
                .containsExactly("7", "3", "ok", "last");
    }
}
