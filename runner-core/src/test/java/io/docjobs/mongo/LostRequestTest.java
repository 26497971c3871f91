package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import io.docjobs.EmbeddedMongoExtension;
import io.docjobs.JobError;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import io.docjobs.Lease;
import io.docjobs.QueueConfig;
import io.docjobs.ReleaseResult;
import io.docjobs.RequeueResult;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Requests and replies lost between tries, injected through {@link OperationRunner.Faults}, with
 * other workers acting in between: a retry must recognise its own earlier effect and nothing else.
 */
class LostRequestTest {
    private static final Set<String> EMAIL = Set.of("email");
    private static final Duration VT = Duration.ofSeconds(30);

    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    private MongoClient client;
    private MongoJobQueue queue;

    @BeforeEach
    void start() {
        client = mongo.client();
        queue = MongoJobQueue.using(client, QueueConfig.builder().clock(clock).serverClockSync(Duration.ZERO)
                .retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(1)).build());
    }

    @AfterEach
    void stop() {
        queue.close();
    }

    private static MongoSocketReadException lost() {
        return new MongoSocketReadException("injected: connection reset", new ServerAddress());
    }

    /** Faults for operations whose name starts with {@code prefix}: {@code before} runs ahead of each try. */
    private void beforeTries(String prefix, BiConsumer<String, Integer> before) {
        queue.faults(new OperationRunner.Faults() {
            @Override
            public void beforeTry(String operation, int attempt) {
                if (operation.startsWith(prefix)) {
                    before.accept(operation, attempt);
                }
            }

            @Override
            public void afterTry(String operation, int attempt) {
            }
        });
    }

    /** Defect: the retry of a done() that never reached the server took another worker's completion for its own. */
    @Test
    void aRetriedDoneAfterTheDeadlineDoesNotClaimAnotherWorkersCompletion() {
        queue.enqueue("email", "x", VT);
        Lease stale = queue.claim(EMAIL, "w1").orElseThrow();
        beforeTries("done of", (operation, attempt) -> {
            if (attempt == 1) {
                // While w1's request is lost: its lease expires, w2 claims and completes the job.
                queue.faults(OperationRunner.Faults.NONE);
                clock.advance(VT.plusSeconds(1));
                Lease other = queue.claim(EMAIL, "w2").orElseThrow();
                assertThat(queue.done(other)).isTrue();
                beforeTries("done of", (o, a) -> { });
                throw lost();
            }
        });

        assertThat(queue.done(stale)).as("w1 cannot know the completion was its own").isFalse();
    }

    @Test
    void aRetriedDoneBeforeTheDeadlineRecognisesItsOwnCompletion() {
        String id = queue.enqueue("email", "x", VT);
        Lease lease = queue.claim(EMAIL, "w1").orElseThrow();
        queue.faults(new OperationRunner.Faults() {
            @Override
            public void beforeTry(String operation, int attempt) {
            }

            @Override
            public void afterTry(String operation, int attempt) {
                if (operation.startsWith("done of") && attempt == 1) {
                    throw lost(); // applied, reply lost
                }
            }
        });

        assertThat(queue.done(lease)).isTrue();
        assertThat(queue.get(id)).isEmpty();
    }

    /** Defect: a retried requeueDead took a fresh, never-dead entry for its own requeue. */
    @Test
    void aRetriedRequeueOfAnEntryThatIsNotDeadReportsNotDead() {
        String id = queue.enqueue("email", "x", VT);
        beforeTries("requeue of", (operation, attempt) -> {
            if (attempt == 1) {
                throw lost();
            }
        });

        assertThat(queue.requeueDead(id)).isEqualTo(RequeueResult.notDead(id));
        assertThat(queue.get(id).orElseThrow().state()).isEqualTo(JobState.READY);
    }

    /** Defect: a second release with a lease already released took the first one's mark for its own. */
    @Test
    void aRetriedSecondReleaseWithTheSameLeaseReportsTheLeaseLost() {
        queue.enqueue(JobRequest.builder("email").payload("x").maxAttempts(5).build());
        Lease lease = queue.claim(EMAIL, "w1").orElseThrow();
        assertThat(queue.release(lease, Duration.ZERO, JobError.of("first"))).isEqualTo(ReleaseResult.RETRY_SCHEDULED);
        Lease next = queue.claim(EMAIL, "w2").orElseThrow();
        beforeTries("dead-letter of", (operation, attempt) -> {
            if (attempt == 1) {
                throw lost();
            }
        });

        assertThat(queue.deadLetter(lease, JobError.of("again"))).isEqualTo(ReleaseResult.LEASE_LOST);
        assertThat(queue.get(next.id()).orElseThrow().state()).as("w2 still holds it").isEqualTo(JobState.LEASED);
    }

    /** Defect: a batch claim whose later pass failed dropped the leases its first pass had won. */
    @Test
    void aBatchClaimWhoseLaterPassFailsReturnsTheLeasesItWon() {
        for (int i = 0; i < 3; i++) {
            queue.enqueue(JobRequest.builder("email").payload("m" + i).priority(3 - i).build());
        }
        // Most urgent (a string sorts after every number), and malformed: the first pass quarantines it.
        client.getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(QueueConfig.DEFAULT_COLLECTION)
                .insertOne(new org.bson.Document("type", "email").append("state", "ready").append("priority", "high")
                        .append("visibleAt", java.util.Date.from(clock.instant())));
        int[] passes = {0};
        beforeTries("claimBatch of", (operation, attempt) -> {
            if (attempt == 1) {
                passes[0]++;
            }
            if (passes[0] >= 2) {
                throw lost(); // the second pass fails on every try
            }
        });

        // The first pass reads three candidates, one of them malformed: a second pass follows for the third lease.
        List<Lease> leases = queue.claimBatch(EMAIL, "w1", 3);

        assertThat(passes[0]).as("a second pass was made").isEqualTo(2);
        assertThat(leases).extracting(Lease::payload).containsExactly("m0", "m1");
        assertThat(queue.get(leases.get(0).id()).orElseThrow().state()).isEqualTo(JobState.LEASED);
    }
}
