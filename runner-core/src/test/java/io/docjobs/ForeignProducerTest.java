package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoCollection;
import io.docjobs.metrics.QueueMetrics;
import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Entries written with the raw driver, as a producer in another language following the README's
 * schema would: minimal and full ones run with the defaults applied; malformed ones are
 * quarantined as dead letters naming the field, and never stop the entries around them.
 */
class ForeignProducerTest {
    private static final Duration DEFAULT_VT = Duration.ofSeconds(45);
    private static final int DEFAULT_MAX_ATTEMPTS = 4;
    private static final Set<String> EMAIL = Set.of("email");

    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
    private String collection;
    private JobQueue queue;
    private MongoCollection<Document> raw;

    @BeforeEach
    void openQueue() {
        collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false)
                .defaultVisibilityTimeout(DEFAULT_VT).defaultMaxAttempts(DEFAULT_MAX_ATTEMPTS).build());
        raw = mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection);
    }

    @AfterEach
    void dropCollection() {
        raw.drop();
        queue.close();
    }

    private Date now() {
        return Date.from(clock.instant());
    }

    /** Only the required fields; the driver makes the ObjectId. */
    private Document minimal(String type) {
        return new Document("type", type).append("state", "ready").append("visibleAt", now());
    }

    private ObjectId insert(Document entry) {
        raw.insertOne(entry);
        return entry.getObjectId("_id");
    }

    private Document stored(Object id) {
        return raw.find(new Document("_id", id)).first();
    }

    @Test
    void minimalEntryRunsWithTheQueueDefaults() {
        ObjectId id = insert(minimal("email"));

        Lease lease = queue.claim(EMAIL, "w").orElseThrow();

        assertThat(lease.id()).isEqualTo(id.toHexString());
        assertThat(lease.attempt()).isEqualTo(1);
        assertThat(lease.maxAttempts()).isEqualTo(DEFAULT_MAX_ATTEMPTS);
        assertThat(lease.visibilityTimeout()).isEqualTo(DEFAULT_VT);
        assertThat(lease.deadline()).isEqualTo(clock.instant().plus(DEFAULT_VT));
        assertThat(lease.payload()).isEmpty();
        assertThat(lease.hasDocumentPayload()).isFalse();
        assertThat(lease.priority()).isZero();
        assertThat(lease.enqueuedAt()).isNull();
        assertThat(lease.visibleSince()).isEqualTo(clock.instant());
        assertThat(stored(id).get("visibleAt")).as("hidden for the default timeout")
                .isEqualTo(Date.from(lease.deadline()));
        assertThat(queue.done(lease)).isTrue();
        assertThat(stored(id)).isNull();
    }

    @Test
    void minimalEntriesRunThroughClaimBatchWithTheQueueDefaults() {
        ObjectId first = insert(minimal("email"));
        ObjectId second = insert(minimal("email"));

        List<Lease> leases = queue.claimBatch(EMAIL, "w", 10);

        assertThat(leases).extracting(Lease::id).containsExactlyInAnyOrder(first.toHexString(), second.toHexString());
        assertThat(leases).allSatisfy(lease -> {
            assertThat(lease.attempt()).isEqualTo(1);
            assertThat(lease.maxAttempts()).isEqualTo(DEFAULT_MAX_ATTEMPTS);
            assertThat(lease.visibilityTimeout()).isEqualTo(DEFAULT_VT);
            assertThat(lease.deadline()).isEqualTo(clock.instant().plus(DEFAULT_VT));
        });
    }

    @Test
    void fullEntryRunsAsWrittenWhateverNumberTypeItsProducerUsed() {
        Date enqueuedAt = Date.from(clock.instant().minusSeconds(60));
        ObjectId id = insert(new Document("_id", new ObjectId()).append("type", "email")
                .append("payload", new Document("to", "a@example.com")).append("state", "ready")
                .append("priority", 5.0)                       // a JavaScript number that is integral
                .append("visibleAt", Date.from(clock.instant().minusSeconds(10)))
                .append("attempts", 1L).append("maxAttempts", 3).append("visibilityMs", 60_000L)
                .append("enqueuedAt", enqueuedAt).append("dedupKey", "order-7").append("activeDedupKey", "order-7")
                .append("v", 1));
        ObjectId batched = insert(new Document("type", "email").append("payload", "text").append("state", "ready")
                .append("priority", 1).append("visibleAt", now()).append("attempts", 0).append("maxAttempts", 2L)
                .append("visibilityMs", 20_000.0).append("v", 1L));

        Lease lease = queue.claim(EMAIL, "w").orElseThrow();
        List<Lease> more = queue.claimBatch(EMAIL, "w", 10);

        assertThat(lease.id()).isEqualTo(id.toHexString());
        assertThat(lease.payloadDocument()).isEqualTo(new Document("to", "a@example.com"));
        assertThat(lease.priority()).isEqualTo(5);
        assertThat(lease.attempt()).isEqualTo(2);
        assertThat(lease.maxAttempts()).isEqualTo(3);
        assertThat(lease.visibilityTimeout()).isEqualTo(Duration.ofMinutes(1));
        assertThat(lease.deadline()).isEqualTo(clock.instant().plus(Duration.ofMinutes(1)));
        assertThat(lease.enqueuedAt()).isEqualTo(enqueuedAt.toInstant());
        assertThat(lease.visibleSince()).isEqualTo(clock.instant().minusSeconds(10));
        assertThat(queue.enqueue(JobRequest.builder("email").payload("again").dedupKey("order-7").build()))
                .as("its dedup key holds").isEqualTo(EnqueueResult.duplicateOf(id.toHexString()));
        assertThat(more).singleElement().satisfies(other -> {
            assertThat(other.id()).isEqualTo(batched.toHexString());
            assertThat(other.payload()).isEqualTo("text");
            assertThat(other.maxAttempts()).isEqualTo(2);
            assertThat(other.visibilityTimeout()).isEqualTo(Duration.ofSeconds(20));
            assertThat(other.deadline()).isEqualTo(clock.instant().plusSeconds(20));
        });
    }

    /** One broken entry of each kind, keyed by its _id; each names the field the dead letter must name. */
    private Map<Object, String> insertMalformed(int priority) {
        Map<Object, String> broken = new LinkedHashMap<>();
        broken.put(insert(minimal("email").append("priority", priority).append("visibilityMs", "30s")), "visibilityMs");
        broken.put(insert(minimal("email").append("priority", priority).append("visibilityMs", 0)), "visibilityMs");
        broken.put(insert(minimal("email").append("priority", priority).append("maxAttempts", 0)), "maxAttempts");
        broken.put(insert(minimal("email").append("priority", priority).append("maxAttempts", "3")), "maxAttempts");
        broken.put(insert(minimal("email").append("priority", priority).append("attempts", "none")), "attempts");
        broken.put(insert(minimal("email").append("priority", priority).append("attempts", DEFAULT_MAX_ATTEMPTS)), "attempts");
        broken.put(insert(minimal("email").append("priority", priority + 0.5)), "priority");
        broken.put(insert(minimal("email").append("priority", priority).append("payload", 42)), "payload");
        broken.put(insert(minimal("email").append("priority", priority).append("v", 99)), "v");
        broken.put(insert(minimal("email").append("priority", priority).append("type", List.of("email"))), "type");
        Document stringId = minimal("email").append("_id", "order-1").append("priority", priority);
        raw.insertOne(stringId);
        broken.put("order-1", "_id");
        return broken;
    }

    private void assertQuarantined(Map<Object, String> broken) {
        broken.forEach((id, field) -> {
            Document entry = stored(id);
            assertThat(entry.getString("state")).as("state of %s", id).isEqualTo("dead");
            assertThat(entry.get("visibleAt")).isNull();
            assertThat(entry.getDate("deadAt")).isEqualTo(now());
            Document error = entry.get("lastError", Document.class);
            assertThat(error.getString("message")).as("error of %s", id).startsWith("malformed entry: field " + field + " was ");
            assertThat(error.getString("exceptionClass")).isEqualTo("io.docjobs.MalformedEntryException");
        });
    }

    @Test
    void malformedEntriesAreQuarantinedWhileClaimBatchTakesTheGoodOnesAroundThem() {
        ObjectId first = insert(minimal("email").append("priority", 10));
        Map<Object, String> broken = insertMalformed(5);
        ObjectId last = insert(minimal("email"));   // the regression: no visibilityMs, behind the broken ones

        List<Lease> leases = queue.claimBatch(EMAIL, "w", 20);

        assertThat(leases).extracting(Lease::id).containsExactly(first.toHexString(), last.toHexString());
        assertQuarantined(broken);
        assertThat(queue.quarantined()).isEqualTo(broken.size());
    }

    @Test
    void malformedEntriesAreQuarantinedWhileClaimTakesTheGoodOnesAroundThem() {
        ObjectId first = insert(minimal("email").append("priority", 10));
        Map<Object, String> broken = insertMalformed(5);
        ObjectId last = insert(minimal("email"));

        assertThat(queue.claim(EMAIL, "w")).map(Lease::id).contains(first.toHexString());
        assertThat(queue.claim(EMAIL, "w")).as("the same call gets past every broken entry")
                .map(Lease::id).contains(last.toHexString());
        assertQuarantined(broken);
        assertThat(queue.claim(EMAIL, "w")).isEmpty();
        assertThat(queue.quarantined()).isEqualTo(broken.size());
    }

    @Test
    void futureSchemaVersionIsQuarantinedWithAdviceToUpgrade() {
        ObjectId id = insert(minimal("email").append("v", 2));

        assertThat(queue.claim(EMAIL, "w")).isEmpty();

        assertThat(stored(id).get("lastError", Document.class).getString("message"))
                .contains("field v was 2", "schema version 1", "upgrade docjobs");
    }

    @Test
    void payloadOfTheWrongTypeIsQuarantinedAfterTheClaimFencedByItsToken() {
        ObjectId id = insert(minimal("email").append("payload", List.of("a", "b")));

        assertThat(queue.claim(EMAIL, "w")).isEmpty();

        Document entry = stored(id);
        assertThat(entry.getString("state")).isEqualTo("dead");
        assertThat(entry.get("leaseToken")).isNull();
        assertThat(entry.get("lastError", Document.class).getString("message"))
                .startsWith("malformed entry: field payload was [\"a\", \"b\"] (array) but must be a string or an embedded document");
        assertThat(entry.get("lastError", Document.class).getInteger("attempt")).isEqualTo(1);
    }

    @Test
    void entriesWithoutTheRequiredFieldsAreNeverClaimedAndStayAsWritten() {
        List<Document> invisible = List.of(
                new Document("type", "email").append("state", "ready"),
                new Document("type", "email").append("state", "ready").append("visibleAt", "2026-03-01T12:00:00Z"),
                new Document("type", "email").append("visibleAt", now()),
                new Document("type", "email").append("state", "READY").append("visibleAt", now()),
                new Document("type", 7).append("state", "ready").append("visibleAt", now()),
                new Document("state", "ready").append("visibleAt", now()));
        invisible.forEach(raw::insertOne);
        ObjectId good = insert(minimal("email"));

        assertThat(queue.claimBatch(EMAIL, "w", 10)).extracting(Lease::id).containsExactly(good.toHexString());
        assertThat(queue.claim(Set.of("email", "7"), "w")).isEmpty();

        for (Document entry : invisible) {
            assertThat(stored(entry.get("_id"))).isEqualTo(entry);
        }
    }

    @Test
    void anEntryLeasedElsewhereIsQuarantinedOnlyOnceItsLeaseExpired() {
        Instant deadline = clock.instant().plusSeconds(30);
        ObjectId id = insert(minimal("email").append("state", "leased").append("visibleAt", Date.from(deadline))
                .append("visibilityMs", "30s").append("leaseToken", "someone-elses").append("attempts", 1));

        assertThat(queue.claim(EMAIL, "w")).isEmpty();
        assertThat(stored(id).getString("leaseToken")).as("another worker's lease is not touched").isEqualTo("someone-elses");

        clock.advance(Duration.ofSeconds(30));
        assertThat(queue.claimBatch(EMAIL, "w", 5)).isEmpty();
        assertThat(stored(id).getString("state")).isEqualTo("dead");
        assertThat(stored(id).get("leaseToken")).isNull();
    }

    @Test
    void adminReadsShowMalformedEntriesInsteadOfFailing() {
        insertMalformed(5);
        raw.insertOne(new Document("type", 7).append("state", "ready").append("visibleAt", now()));
        raw.insertOne(new Document("state", "odd").append("visibleAt", now()));
        ObjectId mistypedMaxAttempts = insert(minimal("email").append("maxAttempts", "3").append("dedupKey", 12)
                .append("enqueuedAt", "yesterday"));

        assertThat(queue.peek(null, 50)).hasSize(13);
        JobEntry shown = queue.get(mistypedMaxAttempts.toHexString()).orElseThrow();
        assertThat(shown.maxAttempts()).isZero();
        assertThat(shown.dedupKey()).isEqualTo("12");
        assertThat(shown.enqueuedAt()).isNull();
        assertThat(queue.stats().byType()).isNotEmpty();

        assertThat(queue.claimBatch(EMAIL, "w", 20)).isEmpty();

        List<JobEntry> dead = queue.deadLetters(null, null, 50).entries();
        assertThat(dead).hasSize(12);
        assertThat(dead).extracting(JobEntry::id).contains("\"order-1\"");
        List<String> paged = new ArrayList<>();
        String after = null;
        do {
            DeadLetterPage page = queue.deadLetters(null, after, 1);
            page.entries().forEach(entry -> paged.add(entry.id()));
            after = page.next();
        } while (after != null);
        assertThat(paged).as("one by one, across ids of two types that died in the same millisecond")
                .containsExactlyElementsOf(dead.stream().map(JobEntry::id).toList()).endsWith("\"order-1\"");
        assertThat(dead).allSatisfy(entry -> {
            assertThat(entry.state()).isEqualTo(JobState.DEAD);
            assertThat(entry.lastError().exceptionClass()).isEqualTo("io.docjobs.MalformedEntryException");
        });
        assertThat(queue.stats().forType("email").dead()).as("all but the one whose type is an array").isEqualTo(11);
        assertThat(queue.purgeDead("email", clock.instant().plusSeconds(1)))
                .as("a filter on type \"email\" matches the array [\"email\"] too").isEqualTo(12);
    }

    @Test
    void attemptsWrittenByTheProducerCountAgainstTheDefaultMaxAttempts() {
        insert(minimal("email").append("attempts", 3));

        Lease lease = queue.claim(EMAIL, "w").orElseThrow();

        assertThat(lease.attempt()).isEqualTo(4);
        assertThat(lease.isLastAttempt()).isTrue();
        assertThat(queue.release(lease, Duration.ZERO, JobError.of("boom"))).isEqualTo(ReleaseResult.DEAD_LETTERED);
    }

    @Test
    void badEntriesBeforeGoodOnesDoNotCostTheGoodOnesTheirPlace() {
        List<Object> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(insert(minimal("email").append("priority", 1).append("visibilityMs", "30s")));
        }
        ObjectId good = insert(minimal("email"));

        assertThat(queue.claimBatch(EMAIL, "w", 1)).extracting(Lease::id).containsExactly(good.toHexString());
        ids.forEach(id -> assertThat(stored(id).getString("state")).isEqualTo("dead"));
    }

    @Test
    void quarantinesArePublishedAsACounter() {
        Map<Object, String> broken = insertMalformed(5);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (QueueMetrics metrics = new QueueMetrics(queue, Duration.ofHours(1))) {
            metrics.bindTo(registry);

            queue.claimBatch(EMAIL, "w", 20);
            queue.claimBatch(EMAIL, "w", 20);

            assertThat(registry.find("docjobs.entries.quarantined").tag("queue", queue.name()).functionCounter().count())
                    .isEqualTo(broken.size());
        }
    }

    @Test
    void aRunningSupervisorKeepsRunningGoodJobsPastMalformedEntriesAtTheHead() {
        String liveCollection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        MongoCollection<Document> liveRaw = mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(liveCollection);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Set<String> handled = ConcurrentHashMap.newKeySet();
        try (JobQueue live = JobQueue.using(mongo.client(), QueueConfig.builder().collection(liveCollection)
                .changeStreams(false).build());
             Supervisor supervisor = Supervisor.builder(live).meterRegistry(registry)
                     .idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100)).drainTimeout(Duration.ofSeconds(5))
                     .handle("email", job -> handled.add(job.payload())).build().start()) {
            live.enqueue("email", "warm-up", Duration.ofSeconds(30));
            await().atMost(Duration.ofSeconds(10)).until(() -> handled.contains("warm-up"));

            // Ahead of everything: two broken entries, and one without visibilityMs, which used to fail every poll.
            Date now = Date.from(live.now());
            liveRaw.insertOne(new Document("type", "email").append("state", "ready").append("visibleAt", now)
                    .append("priority", 100).append("visibilityMs", "30s").append("payload", "broken-1"));
            liveRaw.insertOne(new Document("type", "email").append("state", "ready").append("visibleAt", now)
                    .append("priority", 100).append("maxAttempts", "3").append("payload", "broken-2"));
            liveRaw.insertOne(new Document("type", "email").append("state", "ready").append("visibleAt", now)
                    .append("priority", 100).append("payload", "foreign"));
            for (int i = 0; i < 20; i++) {
                live.enqueue("email", "good-" + i, Duration.ofSeconds(30));
            }

            await().atMost(Duration.ofSeconds(20)).until(() -> handled.size() == 22);
            assertThat(handled).contains("foreign", "good-0", "good-19").doesNotContain("broken-1", "broken-2");
            assertThat(supervisor.state()).isEqualTo(Supervisor.State.RUNNING);
            assertThat(registry.find("docjobs.entries.quarantined").functionCounter().count()).isEqualTo(2);
            assertThat(registry.find("docjobs.polls").tag("result", "error").counters())
                    .allSatisfy(counter -> assertThat(counter.count()).isZero());
            assertThat(live.deadLetters(null, null, 10).entries()).extracting(entry -> entry.lastError().message())
                    .allSatisfy(message -> assertThat(message).startsWith("malformed entry: field "));
        } finally {
            liveRaw.drop();
        }
    }
    @Test
    void claimOrderPagesListEntriesWithoutAPriorityLastAndEachOnce() {
        List<Object> expected = new ArrayList<>();
        expected.add(insert(minimal("email").append("priority", 2L)));
        expected.add(insert(minimal("email").append("priority", 1.0)));
        expected.add(insert(minimal("email").append("priority", 1)));
        expected.add(insert(minimal("email").append("priority", 0)));
        expected.add(insert(minimal("email")));
        expected.add(insert(minimal("email").append("priority", null)));
        expected.add(insert(minimal("email")));
        insert(minimal("email").append("visibleAt", "now"));

        List<String> listed = new ArrayList<>();
        JobQuery query = JobQuery.claimOrder().withType("email").withLimit(2);
        JobPage page = queue.jobs(query);
        listed.addAll(page.entries().stream().map(JobEntry::id).toList());
        while (page.hasNext()) {
            page = queue.jobs(query.withAfter(page.next()));
            listed.addAll(page.entries().stream().map(JobEntry::id).toList());
        }

        assertThat(listed).as("priority desc, ties by id; no priority after every number; no date not listed")
                .containsExactlyElementsOf(expected.stream().map(id -> ((ObjectId) id).toHexString()).toList());
    }
}
