package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A claim hides an entry for its own visibility timeout and never longer, in every write it
 * makes: a worker killed between two steps of a claim must not leave an entry hidden for someone
 * else's (possibly much longer) timeout. Checked on the commands the driver sends.
 */
class ClaimDeadlineTest {
    private static final Set<String> REPORTS = Set.of("report");

    @RegisterExtension
    final RecordedQueue recorded = new RecordedQueue();

    @Test
    void noWriteOfAClaimHidesAnEntryLongerThanItsOwnTimeout() {
        recorded.queue.enqueue(JobRequest.builder("report").payload("long").priority(1).visibilityTimeout(Duration.ofHours(12)).build());
        recorded.queue.enqueue(JobRequest.builder("report").payload("short").visibilityTimeout(Duration.ofSeconds(30)).build());
        recorded.queue.enqueue(JobRequest.builder("report").payload("short-2").visibilityTimeout(Duration.ofSeconds(30)).build());
        Lease longJob = recorded.queue.claim(REPORTS, "w1").orElseThrow();
        assertThat(longJob.visibilityTimeout()).isEqualTo(Duration.ofHours(12));

        recorded.commands.clear();
        Lease shortJob = recorded.queue.claim(REPORTS, "w1").orElseThrow();
        List<Lease> batch = recorded.queue.claimBatch(REPORTS, "w1", 5);

        Instant ownDeadline = recorded.clock.instant().plus(Duration.ofSeconds(30));
        assertThat(shortJob.deadline()).isEqualTo(ownDeadline);
        assertThat(batch).extracting(Lease::deadline).containsExactly(ownDeadline);
        List<Instant> written = deadlinesWritten();
        assertThat(written).as("deadlines written by the claims").isNotEmpty()
                .allSatisfy(deadline -> assertThat(deadline).isBeforeOrEqualTo(ownDeadline));
    }

    /** Every visibleAt a command sets ($set or $max, in findAndModify and update recorded.commands). */
    private List<Instant> deadlinesWritten() {
        List<Instant> found = new ArrayList<>();
        for (BsonDocument command : recorded.commands) {
            List<BsonValue> updates = new ArrayList<>();
            if (command.containsKey("findAndModify") && command.containsKey("update")) {
                updates.add(command.get("update"));
            }
            if (command.containsKey("update") && command.containsKey("updates")) {
                for (BsonValue statement : command.getArray("updates")) {
                    updates.add(statement.asDocument().get("u"));
                }
            }
            for (BsonValue update : updates) {
                if (update instanceof BsonArray || update == null) {
                    continue;
                }
                for (String operator : List.of("$set", "$max")) {
                    BsonDocument fields = update.asDocument().getDocument(operator, new BsonDocument());
                    if (fields.containsKey("visibleAt")) {
                        found.add(Instant.ofEpochMilli(fields.getDateTime("visibleAt").getValue()));
                    }
                }
            }
        }
        return found;
    }
}
