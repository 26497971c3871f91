package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batch claim's lease write is fenced by each entry's id and the visible-at it was read with:
 * an entry another worker leases between the candidate read and the bulk write stays that
 * worker's. Staged deterministically: the rival claims just before the bulk write is sent.
 */
class BatchLeaseFenceTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));

    @Test
    void anEntryARivalLeasesBetweenTheCandidateReadAndTheBatchLeaseStaysTheRivals() {
        QueueConfig config = QueueConfig.builder().collection(mongo.freshCollection()).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build();
        AtomicBoolean armed = new AtomicBoolean();
        AtomicReference<Runnable> beforeLeaseWrite = new AtomicReference<>(() -> { });
        List<BsonDocument> commands = new CopyOnWriteArrayList<>() {
            @Override
            public boolean add(BsonDocument command) {
                if (command.getFirstKey().equals("update") && armed.getAndSet(false)) {
                    beforeLeaseWrite.get().run(); // the candidates are read; the lease write is about to go
                }
                return super.add(command);
            }
        };
        try (JobQueue queue = JobQueue.using(mongo.recordingClient(commands), config);
                JobQueue rival = JobQueue.using(mongo.client(), config)) {
            String first = queue.enqueue(JobRequest.builder("email").payload("a").priority(3).build()).id();
            String second = queue.enqueue(JobRequest.builder("email").payload("b").priority(2).build()).id();
            String third = queue.enqueue(JobRequest.builder("email").payload("c").priority(1).build()).id();
            AtomicReference<Lease> rivals = new AtomicReference<>();
            beforeLeaseWrite.set(() -> rivals.set(rival.claim(Set.of("email"), "rival").orElseThrow()));
            armed.set(true);

            List<Lease> leases = queue.claimBatch(Set.of("email"), "w", 3);

            assertThat(rivals.get().id()).as("the rival took the most urgent").isEqualTo(first);
            assertThat(leases).extracting(Lease::id).containsExactly(second, third);
            JobEntry taken = queue.get(first).orElseThrow();
            assertThat(taken.workerId()).isEqualTo("rival");
            assertThat(taken.attempts()).as("leased once, by the rival").isEqualTo(1);
            assertThat(rival.done(rivals.get())).as("the rival's lease held").isTrue();
        }
    }
}
