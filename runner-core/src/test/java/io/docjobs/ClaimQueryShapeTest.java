package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shapes of the claim path's commands, checked on what the driver sends: one candidate read
 * per type with equality on the type (what the claim index serves on MongoDB and DocumentDB), and
 * every write addressed by {@code _id} first (what the embedded server finds by its index rather
 * than by a scan), with nothing read back.
 */
class ClaimQueryShapeTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    private final List<BsonDocument> commands = new CopyOnWriteArrayList<>();
    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    private JobQueue queue;

    @BeforeEach
    void start() {
        queue = JobQueue.using(mongo.recordingClient(commands), QueueConfig.builder().clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
    }

    @AfterEach
    void stop() {
        queue.close();
    }

    @Test
    void aBatchClaimReadsItsCandidatesOnceAndLeasesEachByItsIdWithNothingReadBack() {
        for (int i = 0; i < 20; i++) {
            queue.enqueue("email", "m" + i, Duration.ofSeconds(30));
        }
        commands.clear();

        List<Lease> leases = queue.claimBatch(Set.of("email"), "w", 8);

        assertThat(leases).hasSize(8);
        assertThat(named("find")).as("one candidate read").hasSize(1);
        BsonDocument read = named("find").get(0);
        assertThat(read.getDocument("filter").getString("type").getValue()).as("equality on the type").isEqualTo("email");
        assertThat(read.getDocument("sort").keySet()).containsExactly("priority", "visibleAt");
        assertThat(named("findAndModify")).as("one lease write per job").hasSize(8)
                .allSatisfy(write -> assertThat(write.getDocument("query").getFirstKey()).isEqualTo("_id"));
        assertThat(named("update")).as("no multi-document update, which scans on the embedded server").isEmpty();
        assertThat(commands).extracting(BsonDocument::getFirstKey).containsOnly("find", "findAndModify");
    }

    @Test
    void severalTypesAreReadOneEqualityQueryEachAndMergedMostUrgentFirst() {
        queue.enqueue(JobRequest.builder("email").payload("e").priority(1).build());
        queue.enqueue(JobRequest.builder("sms").payload("s").priority(7).build());
        queue.enqueue(JobRequest.builder("push").payload("p").priority(3).build());
        queue.enqueue(JobRequest.builder("fax").payload("f").priority(9).build());
        commands.clear();

        List<Lease> leases = queue.claimBatch(Map.of("email", 5, "sms", 5, "push", 5), "w", 2);

        assertThat(leases).extracting(Lease::type).containsExactly("sms", "push");
        assertThat(named("find")).hasSize(3).extracting(find -> find.getDocument("filter").getString("type").getValue())
                .containsExactlyInAnyOrder("email", "sms", "push");
        assertThat(queue.claim(Set.of("email", "push"), "w")).map(Lease::type).contains("email");
    }

    @Test
    void aTypeWithNoRoomLeftIsNotReadAtAll() {
        queue.enqueue("email", "e", Duration.ofSeconds(30));
        queue.enqueue("sms", "s", Duration.ofSeconds(30));
        commands.clear();

        assertThat(queue.claimBatch(Map.of("email", 0, "sms", 3), "w", 3)).extracting(Lease::type).containsExactly("sms");
        assertThat(named("find")).extracting(find -> find.getDocument("filter").getString("type").getValue())
                .containsOnly("sms");
    }

    @Test
    void theWritesOfALeaseHolderAreAddressedByIdFirst() {
        for (int i = 0; i < 6; i++) {
            queue.enqueue("email", "m" + i, Duration.ofSeconds(30));
        }
        List<Lease> leases = queue.claimBatch(Set.of("email"), "w", 6);
        commands.clear();

        queue.done(leases.get(0));
        queue.extend(leases.get(1), Duration.ofMinutes(1));
        queue.release(leases.get(2), Duration.ZERO, JobError.of("again"));
        queue.giveBack(leases.get(3));
        queue.doneAll(leases.subList(4, 6));

        assertThat(commands).isNotEmpty().allSatisfy(command -> {
            for (BsonDocument filter : filters(command)) {
                assertThat(filter.getFirstKey()).as("%s", command.toJson()).isEqualTo("_id");
            }
        });
    }

    private List<BsonDocument> named(String name) {
        return commands.stream().filter(command -> command.getFirstKey().equals(name)).toList();
    }

    private static List<BsonDocument> filters(BsonDocument command) {
        return switch (command.getFirstKey()) {
            case "findAndModify" -> List.of(command.getDocument("query"));
            case "update" -> command.getArray("updates").stream().map(u -> u.asDocument().getDocument("q")).toList();
            case "delete" -> command.getArray("deletes").stream().map(d -> d.asDocument().getDocument("q")).toList();
            default -> List.of();
        };
    }
}
