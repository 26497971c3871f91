package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code stats()} runs in every daemon every few seconds: it must count from the fields it counts,
 * never read the entries' payloads. Checked on the command the driver sends.
 */
class StatsQueryTest {
    @RegisterExtension
    final RecordedQueue recorded = new RecordedQueue();

    @Test
    void statsProjectOnlyTheCountedFieldsBeforeGrouping() {
        String large = "x".repeat(256 * 1024);
        for (int i = 0; i < 4; i++) {
            recorded.queue.enqueue("report", large, Duration.ofSeconds(30));
        }
        recorded.queue.claim(Set.of("report"), "w").orElseThrow();

        recorded.commands.clear();
        QueueStats stats = recorded.queue.stats();

        assertThat(stats.forType("report").ready()).isEqualTo(3);
        assertThat(stats.forType("report").leased()).isEqualTo(1);
        BsonArray pipeline = onlyAggregate().getArray("pipeline");
        assertThat(pipeline.get(0).asDocument().getDocument("$match").getDocument("state").getArray("$in"))
                .as("only the states docjobs writes: a prefix of the claim index")
                .containsExactlyInAnyOrder(new BsonString("ready"), new BsonString("leased"), new BsonString("dead"));
        BsonDocument project = pipeline.get(1).asDocument().getDocument("$project");
        assertThat(project).as("the fields counted, no _id and no payload, so an index can cover them")
                .isEqualTo(new BsonDocument("_id", new BsonInt32(0)).append("type", new BsonInt32(1))
                        .append("state", new BsonInt32(1)).append("visibleAt", new BsonInt32(1)));
        assertThat(pipeline).as("nothing before the projection reads whole entries").hasSizeGreaterThan(2)
                .extracting(stage -> stage.asDocument().getFirstKey()).containsExactly("$match", "$project", "$group");
    }

    @Test
    void statsCountEveryStateDocjobsWritesAndIgnoreOthers() {
        recorded.queue.enqueue("email", "a", Duration.ofSeconds(30));
        recorded.queue.enqueue(JobRequest.builder("email").payload("later").delay(Duration.ofMinutes(5)).build());
        recorded.queue.enqueue(JobRequest.builder("email").payload("dies").priority(5).maxAttempts(1).build());
        Lease dying = recorded.queue.claimBatch(Set.of("email"), "w", 1).get(0);
        recorded.queue.deadLetter(dying, JobError.of("boom"));
        recorded.queue.claim(Set.of("email"), "w").orElseThrow();
        recorded.mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(QueueConfig.DEFAULT_COLLECTION)
                .insertOne(new Document("type", "email").append("state", "odd").append("visibleAt", Date.from(recorded.clock.instant())));
        recorded.clock.advance(Duration.ofSeconds(31));

        QueueStats.TypeStats email = recorded.queue.stats().forType("email");

        assertThat(email.ready()).isZero();
        assertThat(email.delayed()).isEqualTo(1);
        assertThat(email.leased()).isZero();
        assertThat(email.expiredLeases()).isEqualTo(1);
        assertThat(email.dead()).as("a state docjobs never writes is not a dead letter").isEqualTo(1);
    }

    private BsonDocument onlyAggregate() {
        List<BsonDocument> aggregates = recorded.commands.stream().filter(command -> command.containsKey("aggregate")).toList();
        assertThat(aggregates).hasSize(1);
        return aggregates.get(0);
    }
}
