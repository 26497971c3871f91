package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shapes of the claim path's commands, checked on what the driver sends: one candidate read
 * per type with equality on the type (what the claim index serves on MongoDB and DocumentDB), and
 * every write and read-back addressed by {@code _id} first with equality only (what the embedded
 * server finds by an index rather than by a scan).
 */
class ClaimQueryShapeTest {
    @RegisterExtension
    final RecordedQueue recorded = new RecordedQueue();

    @Test
    void aBatchClaimReadsItsCandidatesOnceLeasesThemInOneBulkWriteAndReadsThemBackById() {
        for (int i = 0; i < 20; i++) {
            recorded.queue.enqueue("email", "m" + i, Duration.ofSeconds(30));
        }
        recorded.commands.clear();

        List<Lease> leases = recorded.queue.claimBatch(Set.of("email"), "w", 8);

        assertThat(leases).hasSize(8);
        assertThat(recorded.commands).extracting(BsonDocument::getFirstKey).as("read, lease, read back")
                .containsExactly("find", "update", "find");
        BsonDocument read = recorded.named("find").get(0);
        assertThat(read.getDocument("filter").getString("type").getValue()).as("equality on the type").isEqualTo("email");
        assertThat(read.getDocument("sort").keySet()).containsExactly("priority", "visibleAt");
        assertThat(recorded.named("update").get(0).getArray("updates")).as("one fenced update per job, no multi-document one")
                .hasSize(8).allSatisfy(update -> {
                    BsonDocument statement = update.asDocument();
                    assertThat(statement.getDocument("q").keySet()).containsExactly("_id", "visibleAt");
                    assertThat(statement.getDocument("q").isDateTime("visibleAt")).as("equality, not a range").isTrue();
                    assertThat(statement.getBoolean("multi", BsonBoolean.FALSE).getValue()).isFalse();
                });
        BsonDocument readBack = recorded.named("find").get(1).getDocument("filter");
        assertThat(readBack.keySet()).as("read back by id alone").containsExactly("_id");
        assertThat(readBack.getDocument("_id").getArray("$in")).hasSize(8);
    }

    @Test
    void severalTypesAreReadOneEqualityQueryEachAndMergedMostUrgentFirst() {
        recorded.queue.enqueue(JobRequest.builder("email").payload("e").priority(1).build());
        recorded.queue.enqueue(JobRequest.builder("sms").payload("s").priority(7).build());
        recorded.queue.enqueue(JobRequest.builder("push").payload("p").priority(3).build());
        recorded.queue.enqueue(JobRequest.builder("fax").payload("f").priority(9).build());
        recorded.commands.clear();

        List<Lease> leases = recorded.queue.claimBatch(Map.of("email", 5, "sms", 5, "push", 5), "w", 2);

        assertThat(leases).extracting(Lease::type).containsExactly("sms", "push");
        assertThat(candidateReads()).hasSize(3).extracting(find -> find.getDocument("filter").getString("type").getValue())
                .containsExactlyInAnyOrder("email", "sms", "push");
        assertThat(recorded.queue.claim(Set.of("email", "push"), "w")).map(Lease::type).contains("email");
    }

    @Test
    void aTypeWithNoRoomLeftIsNotReadAtAll() {
        recorded.queue.enqueue("email", "e", Duration.ofSeconds(30));
        recorded.queue.enqueue("sms", "s", Duration.ofSeconds(30));
        recorded.commands.clear();

        assertThat(recorded.queue.claimBatch(Map.of("email", 0, "sms", 3), "w", 3)).extracting(Lease::type).containsExactly("sms");
        assertThat(candidateReads()).extracting(find -> find.getDocument("filter").getString("type").getValue())
                .containsOnly("sms");
    }

    @Test
    void theWritesOfALeaseHolderAreAddressedByIdFirst() {
        for (int i = 0; i < 6; i++) {
            recorded.queue.enqueue("email", "m" + i, Duration.ofSeconds(30));
        }
        List<Lease> leases = recorded.queue.claimBatch(Set.of("email"), "w", 6);
        recorded.commands.clear();

        recorded.queue.done(leases.get(0));
        recorded.queue.extend(leases.get(1), Duration.ofMinutes(1));
        recorded.queue.release(leases.get(2), Duration.ZERO, JobError.of("again"));
        recorded.queue.giveBack(leases.get(3));
        recorded.queue.doneAll(leases.subList(4, 6));

        assertThat(recorded.commands).isNotEmpty().allSatisfy(command -> {
            for (BsonDocument filter : filters(command)) {
                assertThat(filter.getFirstKey()).as("%s", command.toJson()).isEqualTo("_id");
            }
        });
    }


    private static List<BsonDocument> filters(BsonDocument command) {
        return switch (command.getFirstKey()) {
            case "findAndModify" -> List.of(command.getDocument("query"));
            case "update" -> command.getArray("updates").stream().map(u -> u.asDocument().getDocument("q")).toList();
            case "delete" -> command.getArray("deletes").stream().map(d -> d.asDocument().getDocument("q")).toList();
            default -> List.of();
        };
    }

    /** The finds that read candidates (by type), not the read-backs of leased entries (by id). */
    private List<BsonDocument> candidateReads() {
        return recorded.named("find").stream().filter(find -> find.getDocument("filter").containsKey("type")).toList();
    }
}
