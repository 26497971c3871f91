package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoCollection;
import io.docjobs.AdminResult.Operation;
import io.docjobs.AdminResult.Status;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.awaitility.Awaitility;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's single-entry writes (cancel, delete, run now, set priority): what each does to an
 * entry in each state, that none races a claim into losing or doubling a job, and that each is
 * recorded in the audit log.
 */
@Timeout(60)
class AdminOperationsTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private static final Set<String> EMAIL = Set.of("email");
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));
    private String collection;
    private JobQueue queue;

    @BeforeEach
    void openQueue() {
        collection = mongo.freshCollection();
        queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
        queue.ensureIndexes();
    }

    @AfterEach
    void closeQueue() {
        queue.close();
        audit().drop();
    }

    private MongoCollection<Document> audit() {
        return mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection + "_audit");
    }

    private String enqueue(Duration delay) {
        return queue.enqueue(JobRequest.builder("email").payload("x").delay(delay).build()).id();
    }

    private String enqueue() {
        return enqueue(Duration.ZERO);
    }

    private String deadEntry() {
        String id = queue.enqueue(JobRequest.builder("email").payload("x").maxAttempts(1).build()).id();
        Lease lease = queue.claim(EMAIL, "w").orElseThrow();
        assertThat(queue.deadLetter(lease, JobError.of("boom"))).isEqualTo(ReleaseResult.DEAD_LETTERED);
        return id;
    }

    private static final String MISSING = "65f1c0ffee00000000000001";

    // ------------------------------------------------------------------ cancel

    @Test
    void cancelRemovesAWaitingEntryAtOnceWhetherDueOrDelayed() {
        String due = enqueue();
        String delayed = enqueue(Duration.ofHours(1));

        assertThat(queue.cancel(due, "ops")).isEqualTo(AdminResult.of(Operation.CANCEL, Status.CANCELLED, due));
        assertThat(queue.cancel(delayed, "ops").status()).isEqualTo(Status.CANCELLED);

        assertThat(queue.get(due)).isEmpty();
        assertThat(queue.get(delayed)).isEmpty();
        clock.advance(Duration.ofHours(2));
        assertThat(queue.claim(EMAIL, "w")).as("neither ever runs").isEmpty();
    }

    @Test
    void cancelOfALeasedEntryIsARequestItsWorkerSeesAtItsNextExtension() {
        String id = enqueue();
        Lease lease = queue.claim(EMAIL, "w").orElseThrow();

        AdminResult result = queue.cancel(id, "ops");

        assertThat(result.status()).isEqualTo(Status.CANCEL_REQUESTED);
        assertThat(result.changed()).isTrue();
        assertThat(result.describe()).contains("next heartbeat");
        assertThat(queue.get(id).orElseThrow().state()).as("still the worker's until it stops").isEqualTo(JobState.LEASED);
        Document stored = entries().find(new Document("_id", new org.bson.types.ObjectId(id))).first();
        assertThat(stored.getDate("cancelRequestedAt").toInstant()).isEqualTo(clock.instant());
        assertThat(stored.getString("cancelRequestedBy")).isEqualTo("ops");

        ExtensionResult extension = queue.extendAll(List.of(lease), Duration.ofSeconds(30));
        assertThat(extension.cancelRequested()).containsExactly(lease);
        assertThat(extension.extended()).as("a job to be cancelled is not kept alive").isEmpty();
        assertThat(extension.lost()).isEmpty();
        assertThat(queue.extend(lease, Duration.ofSeconds(30))).as("nor by its handler").isEmpty();
        assertThat(queue.cancel(id, "ops2").status()).isEqualTo(Status.ALREADY_REQUESTED);
        assertThat(queue.done(lease)).as("the worker ends it, fenced by its lease").isTrue();
        assertThat(queue.get(id)).isEmpty();
    }

    @Test
    void cancelRemovesALeasedEntryWhoseLeaseExpiredAtOnceAndItsLateWorkerFindsItsLeaseLost() {
        String id = enqueue();
        Lease stale = queue.claim(EMAIL, "crashed").orElseThrow();
        queue.cancel(id, "ops"); // requested while the worker seemed alive
        clock.advance(Duration.ofSeconds(31));

        assertThat(queue.cancel(id, "ops").status()).as("no worker holds it: a claim would start it again")
                .isEqualTo(Status.CANCELLED);

        assertThat(queue.get(id)).isEmpty();
        assertThat(queue.claim(EMAIL, "w")).isEmpty();
        assertThat(queue.done(stale)).isFalse();
    }

    @Test
    void extensionsOfOtherLeasesInTheSameRoundTripAreUnaffectedByOneCancellation() {
        enqueue();
        enqueue();
        List<Lease> leases = queue.claimBatch(EMAIL, "w", 2);
        queue.cancel(leases.get(1).id(), "ops");

        ExtensionResult extension = queue.extendAll(leases, Duration.ofSeconds(60));

        assertThat(extension.extended()).containsExactly(leases.get(0));
        assertThat(extension.cancelRequested()).containsExactly(leases.get(1));
    }

    @Test
    void aRequestLeftOnAJobThatFailedFirstIsHonouredByItsNextWorkerButNotAfterARequeue() {
        String id = queue.enqueue(JobRequest.builder("email").payload("x").maxAttempts(2).build()).id();
        Lease first = queue.claim(EMAIL, "w").orElseThrow();
        queue.cancel(id, "ops");
        assertThat(queue.release(first, Duration.ZERO, JobError.of("failed before its heartbeat")))
                .isEqualTo(ReleaseResult.RETRY_SCHEDULED);

        Lease second = queue.claim(EMAIL, "w").orElseThrow();
        assertThat(queue.extendAll(List.of(second), Duration.ofSeconds(30)).cancelRequested())
                .as("the request stays with the entry").containsExactly(second);
        queue.deadLetter(second, JobError.of("failed again"));
        assertThat(queue.requeueDead(id, "ops").isRequeued()).isTrue();

        Lease requeued = queue.claim(EMAIL, "w").orElseThrow();
        assertThat(queue.extendAll(List.of(requeued), Duration.ofSeconds(30)).extended())
                .as("a requeued job starts afresh").containsExactly(requeued);
    }

    @Test
    void cancelRefusesADeadLetterAndReportsAMissingEntry() {
        String dead = deadEntry();

        AdminResult refused = queue.cancel(dead, "ops");
        assertThat(refused).isEqualTo(AdminResult.wrongState(Operation.CANCEL, dead, JobState.DEAD));
        assertThat(refused.changed()).isFalse();
        assertThat(refused.describe()).contains("delete it");
        assertThat(queue.get(dead).orElseThrow().state()).isEqualTo(JobState.DEAD);
        assertThat(queue.cancel(MISSING, "ops")).isEqualTo(AdminResult.of(Operation.CANCEL, Status.NOT_FOUND, MISSING));
    }

    @Test
    void aClaimAfterTheCancelFindsNothing() {
        String id = enqueue();
        assertThat(queue.cancel(id, "ops").status()).isEqualTo(Status.CANCELLED);

        assertThat(queue.claim(EMAIL, "w")).isEmpty();
        assertThat(queue.claimBatch(EMAIL, "w", 10)).isEmpty();
    }

    @Test
    void aCancelAfterTheClaimBecomesARequestAndTheJobEndsOnce() {
        String id = enqueue();
        Lease lease = queue.claim(EMAIL, "w").orElseThrow();

        assertThat(queue.cancel(id, "ops").status()).isEqualTo(Status.CANCEL_REQUESTED);

        assertThat(queue.extendAll(List.of(lease), Duration.ofSeconds(30)).cancelRequested()).containsExactly(lease);
        assertThat(queue.done(lease)).isTrue();
        assertThat(queue.done(lease)).as("ended once").isFalse();
        assertThat(queue.cancel(id, "ops").status()).isEqualTo(Status.NOT_FOUND);
    }

    /**
     * Claimers and a canceller race over a few hundred entries. Every entry ends exactly one way:
     * cancelled while waiting and never claimed, or claimed once and then ended by its worker
     * (which completes it, or finds the request at its extension). None is lost, none runs twice.
     */
    @Test
    void cancelAndClaimRacingNeverLoseNorDoubleAJob() throws Exception {
        int count = 300;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(enqueue());
        }
        Map<String, Integer> claims = new ConcurrentHashMap<>();
        Map<String, Status> cancels = new ConcurrentHashMap<>();
        Map<String, String> endings = new ConcurrentHashMap<>();
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            List<Future<?>> claimers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                String worker = "w" + w;
                claimers.add(threads.submit(() -> {
                    while (endings.size() + cancelledCount(cancels) < count) {
                        List<Lease> leases = queue.claimBatch(EMAIL, worker, 8);
                        for (Lease lease : leases) {
                            claims.merge(lease.id(), 1, Integer::sum);
                        }
                        ExtensionResult heartbeat = queue.extendAll(leases, Duration.ofSeconds(30));
                        assertThat(heartbeat.lost()).isEmpty();
                        heartbeat.cancelRequested().forEach(lease -> endings.put(lease.id(), "cancelled at heartbeat"));
                        heartbeat.extended().forEach(lease -> endings.put(lease.id(), "completed"));
                        leases.forEach(lease -> assertThat(queue.done(lease)).isTrue());
                    }
                    return null;
                }));
            }
            Future<?> canceller = threads.submit(() -> {
                // From the back of the line while the claimers take from its front: they meet.
                List<String> backwards = new ArrayList<>(ids);
                java.util.Collections.reverse(backwards);
                for (String id : backwards) {
                    cancels.put(id, queue.cancel(id, "ops").status());
                }
                return null;
            });
            Awaitility.await().atMost(Duration.ofSeconds(50)).until(() -> canceller.isDone() && claimers.stream().allMatch(Future::isDone));
            canceller.get();
            for (Future<?> claimer : claimers) {
                claimer.get();
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(entries().countDocuments()).as("nothing left behind").isZero();
        for (String id : ids) {
            Status cancel = cancels.get(id);
            if (cancel == Status.CANCELLED) {
                assertThat(claims).as("cancelled while waiting: never claimed").doesNotContainKey(id);
            } else {
                assertThat(claims.get(id)).as("claimed exactly once: %s", id).isEqualTo(1);
                assertThat(cancel).isIn(Status.CANCEL_REQUESTED, Status.NOT_FOUND);
                if (cancel == Status.CANCEL_REQUESTED && "completed".equals(endings.get(id))) {
                    // The request came after the worker's last extension: it completed first.
                    assertThat(endings).containsKey(id);
                }
            }
        }
        assertThat(cancels.values()).as("some of each, or the race was not run").contains(Status.CANCELLED);
    }

    private static long cancelledCount(Map<String, Status> cancels) {
        return cancels.values().stream().filter(status -> status == Status.CANCELLED).count();
    }

    private MongoCollection<Document> entries() {
        return mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection);
    }

    // ------------------------------------------------------------------ delete

    @Test
    void deleteRemovesAWaitingOrDeadEntry() {
        String waiting = enqueue(Duration.ofMinutes(5));
        String dead = deadEntry();

        assertThat(queue.delete(waiting, "ops")).isEqualTo(AdminResult.of(Operation.DELETE, Status.DELETED, waiting));
        assertThat(queue.delete(dead, "ops").status()).isEqualTo(Status.DELETED);

        assertThat(queue.get(waiting)).isEmpty();
        assertThat(queue.get(dead)).isEmpty();
    }

    @Test
    void deleteRefusesARunningJobAndSaysToCancelItFirst() {
        String id = enqueue();
        Lease lease = queue.claim(EMAIL, "w").orElseThrow();

        AdminResult refused = queue.delete(id, "ops");

        assertThat(refused).isEqualTo(AdminResult.wrongState(Operation.DELETE, id, JobState.LEASED));
        assertThat(refused.describe()).contains("cancel it first");
        assertThat(queue.done(lease)).as("the worker's lease is untouched").isTrue();
        assertThat(queue.delete(id, "ops").status()).isEqualTo(Status.NOT_FOUND);
    }

    // ------------------------------------------------------------------ run now

    @Test
    void runNowMakesADelayedEntryClaimableNow() {
        String id = enqueue(Duration.ofHours(3));
        assertThat(queue.claim(EMAIL, "w")).isEmpty();

        assertThat(queue.runNow(id, "ops")).isEqualTo(AdminResult.of(Operation.RUN_NOW, Status.MADE_DUE, id));

        assertThat(queue.get(id).orElseThrow().visibleAt()).isEqualTo(clock.instant());
        assertThat(queue.claim(EMAIL, "w").orElseThrow().id()).isEqualTo(id);
    }

    @Test
    void runNowLeavesADueEntryInItsPlaceAndRefusesLeasedAndDeadOnes() {
        String due = enqueue();
        clock.advance(Duration.ofMinutes(1));
        assertThat(queue.runNow(due, "ops").status()).as("moving it to now would put it behind others")
                .isEqualTo(Status.ALREADY_DUE);
        assertThat(queue.get(due).orElseThrow().visibleAt()).isEqualTo(clock.instant().minus(Duration.ofMinutes(1)));

        queue.claim(EMAIL, "w").orElseThrow();
        assertThat(queue.runNow(due, "ops")).isEqualTo(AdminResult.wrongState(Operation.RUN_NOW, due, JobState.LEASED));
        String dead = deadEntry();
        AdminResult refused = queue.runNow(dead, "ops");
        assertThat(refused.state()).isEqualTo(JobState.DEAD);
        assertThat(refused.describe()).contains("requeue");
        assertThat(queue.runNow(MISSING, "ops").status()).isEqualTo(Status.NOT_FOUND);
    }

    // ------------------------------------------------------------------ priority

    @Test
    void setPriorityReordersWaitingEntries() {
        String first = enqueue();
        String second = enqueue();

        assertThat(queue.setPriority(second, 7, "ops"))
                .isEqualTo(AdminResult.of(Operation.SET_PRIORITY, Status.PRIORITY_SET, second));

        assertThat(queue.get(second).orElseThrow().priority()).isEqualTo(7);
        assertThat(queue.peek("email", 2)).extracting(JobEntry::id).containsExactly(second, first);
        assertThat(queue.setPriority(first, Integer.MIN_VALUE, "ops").status()).as("any int").isEqualTo(Status.PRIORITY_SET);
    }

    @Test
    void setPriorityRefusesLeasedAndDeadEntries() {
        String id = enqueue();
        queue.claim(EMAIL, "w").orElseThrow();
        String dead = deadEntry();

        assertThat(queue.setPriority(id, 1, "ops")).isEqualTo(AdminResult.wrongState(Operation.SET_PRIORITY, id, JobState.LEASED));
        assertThat(queue.setPriority(dead, 1, "ops").state()).isEqualTo(JobState.DEAD);
        assertThat(queue.get(id).orElseThrow().priority()).isZero();
        assertThat(queue.setPriority(MISSING, 1, "ops").status()).isEqualTo(Status.NOT_FOUND);
    }

    // ------------------------------------------------------------------ arguments

    @Test
    void badArgumentsNameTheArgumentTheValueAndTheRule() {
        String id = enqueue();
        assertThatThrownBy(() -> queue.cancel("nope", "ops")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id was \"nope\"").hasMessageContaining("24 hexadecimal digits");
        assertThatThrownBy(() -> queue.delete(id, " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("by was blank");
        assertThatThrownBy(() -> queue.runNow(id, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("by was null");
        assertThatThrownBy(() -> queue.setPriority(id, 1, "x".repeat(JobAdmin.MAX_BY_LENGTH + 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("201 characters long")
                .hasMessageContaining("at most 200");
        assertThatThrownBy(() -> queue.requeueDead(id, "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> queue.auditLog(id, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit was 0");
        assertThat(queue.get(id)).as("nothing was done").isPresent();
        assertThat(queue.auditLog(id, 10)).as("nor recorded").isEmpty();
    }

    // ------------------------------------------------------------------ audit

    @Test
    void everyOperationIsRecordedNewestFirstAndOutlivesItsEntry() {
        String id = enqueue(Duration.ofHours(1));
        queue.setPriority(id, 3, "alice");
        clock.advance(Duration.ofSeconds(1));
        queue.runNow(id, "bob");
        clock.advance(Duration.ofSeconds(1));
        queue.claim(EMAIL, "w").orElseThrow();
        queue.delete(id, "carol");
        clock.advance(Duration.ofSeconds(1));
        queue.cancel(id, "dave");

        List<AuditRecord> log = queue.auditLog(id, 10);

        Instant start = Instant.parse("2026-12-01T12:00:00Z");
        assertThat(log).containsExactly(
                new AuditRecord(start.plusSeconds(3), "dave", "cancel", id, "email", "CANCEL_REQUESTED"),
                new AuditRecord(start.plusSeconds(2), "carol", "delete", id, "email", "WRONG_STATE"),
                new AuditRecord(start.plusSeconds(1), "bob", "run-now", id, "email", "MADE_DUE"),
                new AuditRecord(start, "alice", "priority", id, "email", "PRIORITY_SET 3"));
        assertThat(queue.auditLog(id, 2)).hasSize(2);
    }

    @Test
    void theRecordOfACancelledEntryRemainsAfterItIsGone() {
        String id = enqueue();
        queue.cancel(id, "ops");

        assertThat(queue.get(id)).isEmpty();
        assertThat(queue.auditLog(id, 10)).singleElement()
                .isEqualTo(new AuditRecord(clock.instant(), "ops", "cancel", id, "email", "CANCELLED"));
        assertThat(queue.auditLog(MISSING, 10)).isEmpty();
        queue.cancel(MISSING, "ops");
        assertThat(queue.auditLog(MISSING, 10)).singleElement().extracting(AuditRecord::type, AuditRecord::outcome)
                .containsExactly(null, "NOT_FOUND");
    }

    @Test
    void deadLetterOperationsAreRecordedWithWhoAskedAndTheOldSignaturesStillWork() {
        String dead = deadEntry();
        assertThat(queue.requeueDead(dead, "alice").isRequeued()).isTrue();
        assertThat(queue.auditLog(dead, 10)).singleElement().extracting(AuditRecord::by, AuditRecord::operation,
                AuditRecord::outcome).containsExactly("alice", "requeue", "REQUEUED");

        queue.deadLetter(queue.claim(EMAIL, "w").orElseThrow(), JobError.of("again"));
        assertThat(queue.requeueDead(dead).isRequeued()).isTrue();
        assertThat(queue.auditLog(dead, 10).get(0).by()).isEqualTo("unnamed");

        queue.deadLetter(queue.claim(EMAIL, "w").orElseThrow(), JobError.of("again"));
        assertThat(queue.requeueAllDead("email", "bob")).isEqualTo(1);
        queue.deadLetter(queue.claim(EMAIL, "w").orElseThrow(), JobError.of("again"));
        clock.advance(Duration.ofSeconds(1));
        assertThat(queue.purgeDead(null, clock.instant(), "carol")).isEqualTo(1);
        assertThat(audit().find(new Document("entryId", null)).into(new ArrayList<>()))
                .extracting(record -> record.getString("by") + " " + record.getString("op") + " "
                        + record.getString("type") + " " + record.getString("outcome"))
                .containsExactlyInAnyOrder("bob requeue-all email 1", "carol purge-dead null 1");
    }

    @Test
    void theAuditLogHasItsIndexesOneForEachEntrysHistoryAndOneThatExpiresRecords() {
        List<Document> indexes = audit().listIndexes().into(new ArrayList<>());

        Document byEntry = indexes.stream().filter(index -> "docjobs_audit_entry".equals(index.getString("name")))
                .findFirst().orElseThrow();
        assertThat(byEntry.get("key", Document.class)).isEqualTo(new Document("entryId", 1).append("at", -1).append("_id", -1));
        Document ttl = indexes.stream().filter(index -> "docjobs_audit_ttl".equals(index.getString("name")))
                .findFirst().orElseThrow();
        assertThat(ttl.get("key", Document.class)).isEqualTo(new Document("at", 1));
        assertThat(((Number) ttl.get("expireAfterSeconds")).longValue()).isEqualTo(Duration.ofDays(30).toSeconds());
    }

    @Test
    void aResultCarriesAStateOnlyWhenItIsARefusalForTheState() {
        assertThatThrownBy(() -> new AdminResult(Operation.CANCEL, Status.CANCELLED, MISSING, JobState.READY))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new AdminResult(Operation.CANCEL, Status.WRONG_STATE, MISSING, null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Optional.of(AdminResult.of(Operation.DELETE, Status.NOT_FOUND, MISSING).describe()))
                .hasValueSatisfying(text -> assertThat(text).contains("no job with id " + MISSING));
    }
}
