package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import io.docjobs.DocJobsException;
import io.docjobs.EmbeddedMongoExtension;
import io.docjobs.EnqueueResult;
import io.docjobs.JobError;
import io.docjobs.JobQueue;
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
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Enqueue edges: the payload size limit to the byte, duplicates mixed with new entries, requeue conflicts. */
class EnqueueBoundsTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    private static MongoClient client;

    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    private String collection;
    private MongoJobQueue queue;

    @BeforeAll
    static void connect() {
        client = mongo.client();
    }

    @BeforeEach
    void open() {
        collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        queue = MongoJobQueue.using(client, QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).retryInitialBackoff(Duration.ofMillis(1))
                .retryMaxBackoff(Duration.ofMillis(1)).build());
        queue.ensureIndexes();
    }

    @AfterEach
    void close() {
        queue.close();
        client.getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection).drop();
    }

    private static JobRequest request(String payload) {
        return JobRequest.builder("t").payload(payload).build();
    }

    private static JobRequest keyed(String key) {
        return JobRequest.builder("t").payload("p").dedupKey(key).build();
    }

    @Test
    void anEntryOfExactlyTheLimitIsAcceptedAndOneByteMoreIsRefused() {
        int probe = JobQueue.MAX_PAYLOAD_BYTES;
        Matcher size = Pattern.compile("the entry would be (\\d+) bytes").matcher("");
        assertThatThrownBy(() -> queue.enqueue(request("x".repeat(probe))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("payload of job type \"t\" is too large")
                .satisfies(e -> assertThat(size.reset(e.getMessage()).find()).isTrue());
        int exact = probe - (Integer.parseInt(size.group(1)) - JobQueue.MAX_PAYLOAD_BYTES);

        assertThatThrownBy(() -> queue.enqueueAll(List.of(request("x".repeat(exact + 1)))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("requests[0]: payload of job type \"t\" is too large: the entry would be "
                        + (JobQueue.MAX_PAYLOAD_BYTES + 1) + " bytes");
        String id = queue.enqueue(request("x".repeat(exact))).id();
        assertThat(queue.get(id)).isPresent();
    }

    @Test
    void aPayloadThatCannotBeStoredNamesItsIndexInABatchOnly() {
        JobRequest odd = JobRequest.builder("t").payload(new org.bson.Document("x", new Object())).build();
        assertThatThrownBy(() -> queue.enqueue(odd)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("payload of job type \"t\" holds a value that cannot be stored as BSON");
        assertThatThrownBy(() -> queue.enqueueAll(List.of(odd))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("requests[0]: payload of job type \"t\" holds a value");
    }

    @Test
    void aBatchMixesDedupHitsWithNewEntries() {
        String holder = queue.enqueue(keyed("k")).id();

        List<EnqueueResult> results = queue.enqueueAll(List.of(keyed("k"), request("new"), keyed("k2"), keyed("k2")));

        assertThat(results.get(0)).isEqualTo(EnqueueResult.duplicateOf(holder));
        assertThat(results.get(1).isDuplicate()).isFalse();
        assertThat(results.get(2).isDuplicate()).isFalse();
        assertThat(results.get(3)).isEqualTo(EnqueueResult.duplicateOf(results.get(2).id()));
        assertThat(queue.stats().toString()).isNotEmpty();
        assertThat(queue.peek(null, 10)).hasSize(3);
    }

    @Test
    void aBatchRetriedAfterALostReplyReportsItsOwnEntriesAsNew() {
        queue.faults(new OperationRunner.Faults() {
            @Override
            public void beforeTry(String operation, int attempt) {
            }

            @Override
            public void afterTry(String operation, int attempt) {
                if (operation.startsWith("enqueueAll") && attempt == 1) {
                    throw new MongoSocketReadException("injected: reply lost", new ServerAddress());
                }
            }
        });

        List<EnqueueResult> results = queue.enqueueAll(List.of(keyed("k"), request("plain")));

        assertThat(results).extracting(EnqueueResult::isDuplicate).containsExactly(false, false);
        assertThat(queue.peek(null, 10)).extracting(e -> e.id())
                .containsExactlyInAnyOrder(results.get(0).id(), results.get(1).id());
    }

    @Test
    void enqueueAllReportsTheRequestsTheDatabaseRejectedAndTheIdsOfThoseItInserted() {
        // An index docjobs did not make: the database refuses a second entry with the same payload.
        client.getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection)
                .createIndex(Indexes.ascending("payload"), new IndexOptions().unique(true));
        queue.enqueue(request("taken"));

        List<EnqueueResult> results = queue.enqueueAll(List.of(request("a"), request("taken"), request("b")));

        assertThat(results).extracting(EnqueueResult::status).containsExactly(EnqueueResult.Status.INSERTED,
                EnqueueResult.Status.FAILED, EnqueueResult.Status.INSERTED);
        assertThat(results.get(1).id()).isNull();
        assertThat(results.get(1).failure()).contains("unique index that docjobs did not create").contains("duplicate key");
        assertThat(queue.get(results.get(0).id()).orElseThrow().payload()).isEqualTo("a");
        assertThat(queue.get(results.get(2).id()).orElseThrow().payload()).isEqualTo("b");
        assertThat(queue.stats().forType("t").ready()).isEqualTo(3);
    }

    @Test
    void aSingleEnqueueRejectedByAForeignUniqueIndexThrowsAtOnce() {
        client.getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection)
                .createIndex(Indexes.ascending("payload"), new IndexOptions().unique(true));
        queue.enqueue(request("taken"));

        assertThatThrownBy(() -> queue.enqueue(request("taken"))).isInstanceOf(DocJobsException.class)
                .hasMessageContaining("enqueue of type \"t\" hit a unique index that docjobs did not create")
                .satisfies(thrown -> {
                    DocJobsException error = (DocJobsException) thrown;
                    assertThat(error.operation()).isEqualTo("enqueue of type \"t\"");
                    assertThat(error.queue()).isEqualTo(QueueConfig.DEFAULT_DATABASE + "." + collection);
                    assertThat(error.jobType()).isEqualTo("t");
                    assertThat(error.jobId()).isNull();
                    assertThat(error.attempt()).isZero();
                });
    }

    @Test
    void requeueOfADeadLetterWhoseKeyIsHeldAgainNamesTheHolder() {
        queue.enqueue(JobRequest.builder("t").payload("p").dedupKey("k").maxAttempts(1).build());
        Lease lease = queue.claim(Set.of("t"), "w").orElseThrow();
        queue.deadLetter(lease, JobError.of("boom"));
        String holder = queue.enqueue(keyed("k")).id();

        RequeueResult result = queue.requeueDead(lease.id());

        assertThat(result).isEqualTo(RequeueResult.dedupKeyHeld(lease.id(), "k", holder));
        assertThat(result.describe()).isEqualTo("cannot requeue dead entry " + lease.id() + ": unfinished entry " + holder
                + " holds the same dedup key \"k\"; requeue it after that entry finishes, or purge it");
        assertThat(queue.get(lease.id()).orElseThrow().state()).isEqualTo(JobState.DEAD);
    }

    @Test
    void aRetryMayWaitExactlyTheLongestDelayAndNoLonger() {
        queue.enqueue(JobRequest.builder("t").payload("p").maxAttempts(3).build());
        Lease lease = queue.claim(Set.of("t"), "w").orElseThrow();
        JobError error = JobError.of(new IllegalStateException("boom"));

        assertThatThrownBy(() -> queue.release(lease, JobRequest.MAX_DELAY.plusMillis(1), error))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most " + JobRequest.MAX_DELAY);
        assertThat(queue.release(lease, JobRequest.MAX_DELAY, error)).isEqualTo(ReleaseResult.RETRY_SCHEDULED);
    }
}
