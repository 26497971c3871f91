package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The dangerous transient fault: a write reaches the server and is applied, but its reply never
 * reaches the client ({@link TcpProxy#dropNextReplyTo}). The queue retries, and every operation
 * must recognise its own earlier effect: return what actually happened, leave the entry in the
 * state the call promised with the right attempt count, and strand nothing (no entry leased under
 * a token no caller holds). The stored entries are always read directly, bypassing the proxy.
 *
 * <p>The driver retries nothing here ({@code retryWrites=false&retryReads=false}, as Amazon
 * DocumentDB needs; the embedded server is standalone, where the driver would not retry writes
 * anyway): every recovery is the queue's own.
 */
@Timeout(30)
class LostReplyTest {
    private static final Set<String> EMAIL = Set.of("email");
    private static final Duration VISIBILITY = Duration.ofSeconds(30);

    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.behindFaultProxy();
    private TcpProxy proxy;
    private MongoClient client;
    private JobQueue queue;
    /** The entries as stored, read without the proxy. */
    private MongoCollection<Document> stored;

    @BeforeEach
    void start() {
        proxy = mongo.proxy();
        stored = mongo.stored();
        // A one-minute heartbeat keeps the driver's monitor from noticing the broken connection
        // before the retry does (see TransientFaultTest); a 10 ms minimum (the driver's default is
        // 500 ms) lets the retry find the server again at once instead of half a second later.
        client = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString("mongodb://127.0.0.1:" + proxy.port()
                        + "/?heartbeatFrequencyMS=60000&retryWrites=false&retryReads=false"))
                .applyToServerSettings(server -> server.minHeartbeatFrequency(10, TimeUnit.MILLISECONDS))
                .applyToSocketSettings(socket -> socket.readTimeout(2, TimeUnit.SECONDS))
                .build());
        queue = JobQueue.using(client, QueueConfig.builder()
                .operationTimeout(Duration.ofSeconds(2))
                .retryAttempts(4)
                .retryInitialBackoff(Duration.ofMillis(20))
                .retryMaxBackoff(Duration.ofMillis(200))
                .build());
    }

    @AfterEach
    void stop() {
        if (queue != null) {
            queue.close();
        }
        if (client != null) {
            client.close();
        }
    }

    // ------------------------------------------------------------------ consuming

    @Test
    void claimWhoseReplyIsLostReturnsTheLeaseItTook() {
        String first = queue.enqueue(JobRequest.builder("email").payload("first").priority(5).visibilityTimeout(VISIBILITY).build()).id();
        String second = queue.enqueue("email", "second", VISIBILITY);

        proxy.dropNextReplyTo("findAndModify");
        Lease lease = queue.claim(EMAIL, "w1").orElseThrow();
        assertReplyWasDropped(1);

        assertThat(lease.id()).as("the entry first in claim order, the one the lost try leased").isEqualTo(first);
        assertThat(lease.attempt()).isEqualTo(1);
        assertThat(lease.payload()).isEqualTo("first");
        assertThat(lease.workerId()).isEqualTo("w1");
        assertThat(entry(first))
                .containsEntry("state", "leased")
                .containsEntry("leaseToken", lease.token())
                .containsEntry("workerId", "w1")
                .containsEntry("attempts", 1)
                .containsEntry("visibleAt", Date.from(lease.deadline()));
        assertThat(lease.deadline()).isAfter(queue.now().plus(VISIBILITY).minusSeconds(5));
        assertThat(entry(second)).containsEntry("state", "ready").containsEntry("attempts", 0).doesNotContainKey("leaseToken");
        assertNothingStranded(lease);

        assertThat(queue.done(lease)).as("the recovered lease is a working lease").isTrue();
        assertThat(storedIds()).containsExactly(second);
    }

    /** The first lease write of the pass is applied and its reply lost: the retry recovers it and a further pass takes the rest. */
    @Test
    void claimBatchWhoseReplyIsLostReturnsTheLeasesItTook() {
        List<String> ids = enqueueEmails(5);

        proxy.dropNextReplyTo("update"); // the bulk write that leases them
        List<Lease> leases = queue.claimBatch(EMAIL, "w1", 3);
        assertReplyWasDropped(1);

        assertThat(leases).hasSize(3);
        assertThat(leases).extracting(Lease::id).as("the first three in claim order").containsExactlyInAnyOrderElementsOf(ids.subList(0, 3));
        for (Lease lease : leases) {
            assertThat(lease.attempt()).isEqualTo(1);
            assertThat(entry(lease.id()))
                    .containsEntry("state", "leased")
                    .containsEntry("leaseToken", lease.token())
                    .containsEntry("workerId", "w1")
                    .containsEntry("attempts", 1)
                    .containsEntry("visibleAt", Date.from(lease.deadline()));
        }
        for (String id : ids.subList(3, 5)) {
            assertThat(entry(id)).containsEntry("state", "ready").containsEntry("attempts", 0).doesNotContainKey("leaseToken");
        }
        assertNothingStranded(leases.toArray(Lease[]::new));

        for (Lease lease : leases) {
            assertThat(queue.done(lease)).isTrue();
        }
        assertThat(storedIds()).containsExactlyInAnyOrderElementsOf(ids.subList(3, 5));
    }

    /** The pass has leased all four when the reply to its read-back of them is lost: the retry recovers all four. */
    @Test
    void claimBatchWhoseReadBackLosesItsReplyReturnsEveryLeaseItTook() {
        List<String> ids = enqueueEmails(4);

        proxy.dropNextReplyTo(command -> command.getFirstKey().equals("find") && command.getDocument("filter").containsKey("_id"));
        List<Lease> leases = queue.claimBatch(EMAIL, "w1", 4);
        assertReplyWasDropped(1);

        assertThat(leases).extracting(Lease::id).containsExactlyInAnyOrderElementsOf(ids);
        for (Lease lease : leases) {
            assertThat(lease.attempt()).isEqualTo(1);
            assertThat(entry(lease.id())).containsEntry("leaseToken", lease.token()).containsEntry("attempts", 1);
        }
        assertNothingStranded(leases.toArray(Lease[]::new));
    }

    @Test
    void requeueOfADeadLetterWhoseReplyIsLostReportsRequeued() {
        String id = queue.enqueue(JobRequest.builder("email").payload("poison").maxAttempts(1).visibilityTimeout(VISIBILITY).build()).id();
        queue.release(claim(id), Duration.ZERO, JobError.of("boom"));

        proxy.dropNextReplyTo("update");
        assertThat(queue.requeueDead(id)).as("the lost try requeued it").isEqualTo(RequeueResult.requeued(id));
        assertReplyWasDropped(1);

        assertThat(entry(id)).containsEntry("state", "ready").containsEntry("attempts", 0);
        assertNothingStranded();
    }

    @Test
    void doneWhoseReplyIsLostReportsDone() {
        String id = queue.enqueue("email", "only", VISIBILITY);
        String other = queue.enqueue("email", "other", VISIBILITY);
        Lease lease = claim(id);

        proxy.dropNextReply(); // the delete: done's first request
        assertThat(queue.done(lease)).as("the lost try deleted it: the job is complete").isTrue();
        assertReplyWasDropped(1);

        assertThat(storedIds()).containsExactly(other);
        assertNothingStranded();
    }

    @Test
    void doneAllWhoseReplyIsLostReportsEachOfItsOwnCompletions() {
        List<String> ids = enqueueEmails(4);
        List<Lease> leases = queue.claimBatch(EMAIL, "w1", 3);

        proxy.dropNextReplyTo("delete");
        CompletionResult result = queue.doneAll(leases);
        assertReplyWasDropped(1);

        assertThat(result.completed()).as("the lost try deleted them all").containsExactlyElementsOf(leases);
        assertThat(result.lost()).isEmpty();
        assertThat(storedIds()).containsExactly(ids.get(3));
        assertNothingStranded();
    }

    @Test
    void releaseWhoseReplyIsLostSchedulesTheRetryOnce() {
        String id = queue.enqueue(JobRequest.builder("email").payload("flaky").maxAttempts(3).visibilityTimeout(VISIBILITY).build()).id();
        Lease lease = claim(id);

        proxy.dropNextReplyTo("findAndModify");
        ReleaseResult result = queue.release(lease, Duration.ZERO, JobError.of("smtp said 451"));
        assertReplyWasDropped(1);

        assertThat(result).isEqualTo(ReleaseResult.RETRY_SCHEDULED);
        Document entry = entry(id);
        assertThat(entry)
                .containsEntry("state", "ready")
                .containsEntry("attempts", 1)
                .containsKey("releasedToken")
                .doesNotContainKeys("leaseToken", "workerId", "claimedAt", "deadAt");
        assertThat(entry.get("lastError", Document.class))
                .containsEntry("message", "smtp said 451")
                .containsEntry("attempt", 1)
                .containsEntry("workerId", "w1");
        assertNothingStranded();

        Lease retry = queue.claim(EMAIL, "w2").orElseThrow();
        assertThat(retry.id()).isEqualTo(id);
        assertThat(retry.attempt()).as("the lost release did not use an extra attempt").isEqualTo(2);
    }

    @Test
    void releaseOnTheLastAttemptWhoseReplyIsLostDeadLettersOnce() {
        String id = queue.enqueue(JobRequest.builder("email").payload("poison").maxAttempts(2).dedupKey("mail-7")
                .visibilityTimeout(VISIBILITY).build()).id();
        Lease first = claim(id);
        assertThat(queue.release(first, Duration.ZERO, JobError.of("first failure"))).isEqualTo(ReleaseResult.RETRY_SCHEDULED);
        Lease last = claim(id);
        assertThat(last.isLastAttempt()).isTrue();

        proxy.dropNextReplyTo("findAndModify");
        ReleaseResult result = queue.release(last, Duration.ZERO, JobError.of("second failure"));
        assertReplyWasDropped(1);

        assertThat(result).isEqualTo(ReleaseResult.DEAD_LETTERED);
        Document entry = entry(id);
        assertThat(entry)
                .containsEntry("state", "dead")
                .containsEntry("attempts", 2)
                .containsKey("releasedToken")
                .containsEntry("dedupKey", "mail-7")
                .containsKey("deadAt")
                .doesNotContainKeys("leaseToken", "visibleAt", "activeDedupKey");
        assertThat(entry.get("lastError", Document.class)).containsEntry("message", "second failure").containsEntry("attempt", 2);
        assertThat(queue.deadLetters("email", null, 10).entries()).extracting(JobEntry::id).containsExactly(id);
        assertThat(queue.claim(EMAIL, "w1")).isEmpty();
        assertNothingStranded();
    }

    @Test
    void giveBackWhoseReplyIsLostReturnsTheAttemptOnce() {
        String id = queue.enqueue("email", "shutdown", VISIBILITY);
        Lease lease = claim(id);

        proxy.dropNextReplyTo("findAndModify");
        assertThat(queue.giveBack(lease)).isTrue();
        assertReplyWasDropped(1);

        assertThat(entry(id))
                .containsEntry("state", "ready")
                .as("the attempt was handed back once, not twice").containsEntry("attempts", 0)
                .containsKey("releasedToken")
                .doesNotContainKeys("leaseToken", "workerId", "claimedAt");
        assertNothingStranded();

        Lease again = queue.claim(EMAIL, "w2").orElseThrow();
        assertThat(again.id()).isEqualTo(id);
        assertThat(again.attempt()).isEqualTo(1);
    }

    @Test
    void extendWhoseReplyIsLostReturnsTheExtendedLease() {
        String id = queue.enqueue("email", "long", VISIBILITY);
        Lease lease = claim(id);

        proxy.dropNextReplyTo("findAndModify");
        Optional<Lease> extended = queue.extend(lease, Duration.ofMinutes(10));
        assertReplyWasDropped(1);

        assertThat(extended).isPresent();
        assertThat(extended.get().token()).isEqualTo(lease.token());
        assertThat(extended.get().deadline()).isAfter(lease.deadline()).isAfter(queue.now().plus(Duration.ofMinutes(9)));
        assertThat(entry(id))
                .containsEntry("state", "leased")
                .containsEntry("leaseToken", lease.token())
                .containsEntry("attempts", 1)
                .containsEntry("visibleAt", Date.from(extended.get().deadline()));
        assertNothingStranded(lease);
        assertThat(queue.done(extended.get())).isTrue();
    }

    @Test
    void extendAllWhoseReplyIsLostExtendsEveryLease() {
        List<String> ids = enqueueEmails(3);
        List<Lease> leases = queue.claimBatch(EMAIL, "w1", 3);
        assertThat(leases).hasSize(3);

        proxy.dropNextReplyTo("update");
        ExtensionResult extension = queue.extendAll(leases, Duration.ofMinutes(10));
        assertReplyWasDropped(1);

        assertThat(extension.lost()).isEmpty();
        assertThat(extension.extended()).containsExactlyInAnyOrderElementsOf(leases);
        for (Lease lease : extension.extended()) {
            assertThat(entry(lease.id()))
                    .containsEntry("leaseToken", lease.token())
                    .containsEntry("attempts", 1)
                    .containsEntry("visibleAt", Date.from(lease.deadline()));
        }
        assertThat(storedIds()).containsExactlyInAnyOrderElementsOf(ids);
        assertNothingStranded(leases.toArray(Lease[]::new));
    }

    // ------------------------------------------------------------------ producing

    @Test
    void enqueueWhoseReplyIsLostInsertsOnceAndReturnsItsId() {
        proxy.dropNextReply(); // the insert: enqueue's first request
        EnqueueResult result = queue.enqueue(JobRequest.builder("email").payload("hello").visibilityTimeout(VISIBILITY).build());
        assertReplyWasDropped(1);

        assertThat(result.isDuplicate()).isFalse();
        assertThat(storedIds()).containsExactly(result.id());
        assertThat(entry(result.id())).containsEntry("state", "ready").containsEntry("attempts", 0).containsEntry("payload", "hello");
    }

    @Test
    void enqueueWithDedupKeyWhoseReplyIsLostIsNotItsOwnDuplicate() {
        proxy.dropNextReplyTo("insert");
        EnqueueResult result = queue.enqueue(JobRequest.builder("email").payload("hello").dedupKey("welcome-42")
                .visibilityTimeout(VISIBILITY).build());
        assertReplyWasDropped(1);

        assertThat(result.isDuplicate()).as("the entry the lost try inserted is ours, not someone else's").isFalse();
        assertThat(storedIds()).containsExactly(result.id());
        assertThat(entry(result.id())).containsEntry("activeDedupKey", "welcome-42");

        EnqueueResult again = queue.enqueue(JobRequest.builder("email").payload("hello").dedupKey("welcome-42").build());
        assertThat(again).isEqualTo(EnqueueResult.duplicateOf(result.id()));
    }

    @Test
    void enqueueAllWithDedupKeysWhoseReplyIsLostInsertsEachOnce() {
        EnqueueResult holder = queue.enqueue(JobRequest.builder("email").payload("earlier").dedupKey("k-held").build());
        List<JobRequest> requests = List.of(
                JobRequest.builder("email").payload("held").dedupKey("k-held").build(),  // held by an earlier entry
                JobRequest.builder("email").payload("new key").dedupKey("k-new").build(),
                JobRequest.builder("email").payload("no key").build(),
                JobRequest.builder("email").payload("same key again").dedupKey("k-new").build()); // held by #1

        proxy.dropNextReplyTo("insert");
        List<EnqueueResult> results = queue.enqueueAll(requests);
        assertReplyWasDropped(1);

        assertThat(results).hasSize(4);
        assertThat(results.get(0)).isEqualTo(EnqueueResult.duplicateOf(holder.id()));
        assertThat(results.get(1).isDuplicate()).isFalse();
        assertThat(results.get(2).isDuplicate()).isFalse();
        assertThat(results.get(3)).isEqualTo(EnqueueResult.duplicateOf(results.get(1).id()));
        assertThat(storedIds()).containsExactlyInAnyOrder(holder.id(), results.get(1).id(), results.get(2).id());
        assertThat(entry(results.get(1).id())).containsEntry("payload", "new key").containsEntry("activeDedupKey", "k-new");
        assertThat(entry(results.get(2).id())).containsEntry("payload", "no key").doesNotContainKey("activeDedupKey");
        assertThat(entry(holder.id())).containsEntry("payload", "earlier").containsEntry("activeDedupKey", "k-held");
    }

    // ------------------------------------------------------------------ helpers

    private void assertReplyWasDropped(int times) {
        assertThat(proxy.replyDropPending()).as("the armed reply drop fired").isFalse();
        assertThat(proxy.droppedReplies()).as("replies dropped by the proxy").isEqualTo(times);
    }

    /** Enqueues {@code count} emails with falling priority, so claim order is enqueue order. */
    private List<String> enqueueEmails(int count) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(queue.enqueue(JobRequest.builder("email").payload("mail-" + i).priority(100 - i)
                    .visibilityTimeout(VISIBILITY).build()).id());
        }
        return ids;
    }

    /** Claims until {@code id} is claimed, giving back whatever comes first; without faults. */
    private Lease claim(String id) {
        List<Lease> others = new ArrayList<>();
        try {
            while (true) {
                Lease lease = queue.claim(EMAIL, "w1").orElseThrow(() -> new AssertionError(id + " was not claimable"));
                if (lease.id().equals(id)) {
                    return lease;
                }
                others.add(lease);
            }
        } finally {
            others.forEach(queue::giveBack);
        }
    }

    private Document entry(String id) {
        return mongo.storedEntry(id);
    }

    private List<String> storedIds() {
        return mongo.storedIds();
    }

    /**
     * Every leased entry is leased under a token one of {@code held} carries, and only leased
     * entries carry a token: a lost reply stranded nothing.
     */
    private void assertNothingStranded(Lease... held) {
        Map<String, String> heldTokens = Arrays.stream(held).collect(Collectors.toMap(Lease::id, Lease::token));
        Set<String> leasedIds = new HashSet<>();
        for (Document entry : stored.find()) {
            String id = entry.getObjectId("_id").toHexString();
            String token = entry.getString("leaseToken");
            if ("leased".equals(entry.getString("state"))) {
                leasedIds.add(id);
                assertThat(token).as("entry " + id + " is leased under a token its caller holds").isEqualTo(heldTokens.get(id));
            } else {
                assertThat(token).as("entry " + id + " in state " + entry.getString("state") + " carries no token").isNull();
            }
        }
        assertThat(leasedIds).as("exactly the held leases are leased").isEqualTo(heldTokens.keySet());
    }
}
