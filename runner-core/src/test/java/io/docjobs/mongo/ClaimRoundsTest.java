package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import io.docjobs.EmbeddedMongoExtension;
import io.docjobs.JobEntry;
import io.docjobs.JobState;
import io.docjobs.Lease;
import io.docjobs.QueueConfig;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The bounds of the claim loops: how many rounds {@code claim} and how many passes
 * {@code claimBatch} make, counted exactly, with entries written as a foreign producer would.
 */
class ClaimRoundsTest {
    private static final Instant T = Instant.parse("2026-11-30T12:00:00Z");
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    private static MongoClient client;

    private final ManualClock clock = new ManualClock(T);
    /** Every command the queue sent, to count the candidate reads of each claim. */
    private final List<BsonDocument> commands = new CopyOnWriteArrayList<>();
    private String collection;
    private MongoCollection<Document> raw;
    private MongoJobQueue queue;
    private int seq;

    @BeforeAll
    static void connect() {
        client = mongo.client();
    }

    @BeforeEach
    void open() {
        collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        raw = client.getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection);
        queue = MongoJobQueue.using(mongo.recordingClient(commands), config());
        commands.clear();
    }

    @AfterEach
    void close() {
        queue.close();
        raw.drop();
    }

    private QueueConfig config() {
        return QueueConfig.builder().collection(collection).clock(clock).serverClockSync(Duration.ZERO)
                .changeStreams(false).build();
    }

    /**
     * {@return how many candidate reads (finds on the entries by type, not the read-backs of leased
     * entries by id) the queue sent since the last call}
     */
    private long candidateReads() {
        long reads = commands.stream().filter(c -> c.containsKey("find")
                && c.getString("find").getValue().equals(collection) && !c.getDocument("filter").containsKey("_id")).count();
        commands.clear();
        return reads;
    }

    /** A ready entry visible from a distinct past instant, so claim order is insertion order within a priority. */
    private ObjectId entry(String type, int priority, Document extra) {
        ObjectId id = new ObjectId();
        Document document = new Document("_id", id).append("type", type).append("state", "ready").append("priority", priority)
                .append("visibleAt", Date.from(T.minusSeconds(10_000).plusSeconds(seq++))).append("payload", "p")
                .append("attempts", 0);
        document.putAll(extra);
        raw.insertOne(document);
        return id;
    }

    private List<ObjectId> entries(int count, String type, int priority, Document extra) {
        List<ObjectId> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(entry(type, priority, extra));
        }
        return ids;
    }

    private static Document malformed() {
        return new Document("maxAttempts", 0); // judged on the candidate already
    }

    /** A lease on the last attempt, expired: its worker is gone (visible-at in the past, as every entry here). */
    private static Document expiredLastAttempt() {
        return new Document("state", "leased").append("attempts", 2).append("maxAttempts", 2)
                .append("workerId", "w-gone").append("leaseToken", "old");
    }

    private static List<String> ids(List<Lease> leases) {
        return leases.stream().map(Lease::id).toList();
    }

    // ---- claim: CLAIM_CANDIDATES per round, QUARANTINE_ROUNDS extra rounds, CLAIM_ROUNDS rounds

    @Test
    void claimQuarantinesAtMostElevenRoundsOfMalformedCandidatesAndFindsAnEntryInTheLast() {
        int lastReachable = Claimer.CLAIM_CANDIDATES * (Claimer.QUARANTINE_ROUNDS + Claimer.CLAIM_ROUNDS) - 1;
        entries(lastReachable, "t", 10, malformed());
        ObjectId good = entry("t", 0, new Document());

        Lease lease = queue.claim(Set.of("t"), "w").orElseThrow();

        assertThat(lease.id()).isEqualTo(good.toHexString());
        assertThat(raw.countDocuments(new Document("state", "dead"))).isEqualTo(lastReachable);
    }

    @Test
    void claimGivesUpAfterElevenFullRoundsOfMalformedCandidates() {
        int rounds = Claimer.QUARANTINE_ROUNDS + Claimer.CLAIM_ROUNDS;
        entries(Claimer.CLAIM_CANDIDATES * rounds, "t", 10, malformed());
        entry("t", 0, new Document());

        assertThat(queue.claim(Set.of("t"), "w")).isEmpty();
        assertThat(raw.countDocuments(new Document("state", "dead"))).isEqualTo(Claimer.CLAIM_CANDIDATES * rounds);
        // The next claim goes on where this one stopped.
        assertThat(queue.claim(Set.of("t"), "w")).isPresent();
    }

    @Test
    void claimDeadLettersExpiredLastAttemptsForElevenRoundsLikeMalformedOnes() {
        int rounds = Claimer.QUARANTINE_ROUNDS + Claimer.CLAIM_ROUNDS;
        List<ObjectId> expired = entries(Claimer.CLAIM_CANDIDATES * rounds, "t", 10, expiredLastAttempt());
        entry("t", 0, new Document());

        assertThat(queue.claim(Set.of("t"), "w")).isEmpty();

        JobEntry first = queue.get(expired.get(0).toHexString()).orElseThrow();
        assertThat(first.state()).isEqualTo(JobState.DEAD);
        assertThat(first.attempts()).as("dead-lettered without a claim").isEqualTo(2);
        assertThat(first.lastError().workerId()).isEqualTo("w-gone");
        assertThat(first.lastError().attempt()).isEqualTo(2);
        assertThat(first.lastError().message()).startsWith("attempt 2 of 2 did not finish: its lease expired");
        assertThat(raw.countDocuments(new Document("state", "dead"))).isEqualTo(Claimer.CLAIM_CANDIDATES * rounds);
    }

    // ---- claimBatch passes

    /** Defect: each pass read the first entries across all types, so a type with a long backlog left the others out. */
    @Test
    void claimBatchTakesEveryTypesRoomInOnePassWhateverTheOtherTypesHaveWaiting() {
        Map<String, Integer> limits = new LinkedHashMap<>();
        List<ObjectId> firsts = new ArrayList<>();
        for (String type : List.of("a", "b", "c", "d")) {
            limits.put(type, 1);
            firsts.add(entries(4, type, 0, new Document()).get(0));
        }

        List<Lease> leases = queue.claimBatch(limits, "w", 4);

        // Each type is read up to its room: a1, b1, c1 and d1, oldest first.
        assertThat(ids(leases)).containsExactly(firsts.stream().map(ObjectId::toHexString).toArray(String[]::new));
        assertThat(candidateReads()).as("one pass: a read per type").isEqualTo(4);
    }

    /**
     * Defect: a pass read each type only as deep as its room, so when the head of one type was
     * dead-lettered, an entry of another type was leased ahead of that type's next, older entry.
     */
    @Test
    void claimBatchReadsAgainRatherThanPassOverAnOlderEntryBehindADeadLetteredOne() {
        ObjectId deadHead = entry("a", 0, expiredLastAttempt());
        ObjectId olderA = entry("a", 0, new Document());
        entry("b", 0, new Document());

        List<Lease> leases = queue.claimBatch(Map.of("a", 1, "b", 1), "w", 1);

        assertThat(ids(leases)).containsExactly(olderA.toHexString());
        assertThat(queue.get(deadHead.toHexString()).orElseThrow().state()).isEqualTo(JobState.DEAD);
    }

    @Test
    void claimBatchStopsWhenMaxIsReachedExactly() {
        Map<String, Integer> limits = Map.of("a", 1, "b", 10);
        List<ObjectId> a = entries(3, "a", 0, new Document());
        List<ObjectId> b = entries(5, "b", 0, new Document());

        List<Lease> leases = queue.claimBatch(limits, "w", 4);

        assertThat(ids(leases)).containsExactlyInAnyOrder(a.get(0).toHexString(), b.get(0).toHexString(),
                b.get(1).toHexString(), b.get(2).toHexString());
        assertThat(raw.countDocuments(new Document("state", "leased"))).isEqualTo(4);
        assertThat(candidateReads()).as("one pass").isEqualTo(2);
    }

    @Test
    void claimBatchStopsAfterAPassThatFoundFewerCandidatesThanWanted() {
        List<ObjectId> a = entries(2, "a", 0, new Document());

        List<Lease> leases = queue.claimBatch(Set.of("a"), "w", 4);

        assertThat(ids(leases)).containsExactlyInAnyOrder(a.get(0).toHexString(), a.get(1).toHexString());
        assertThat(candidateReads()).as("nothing more to read").isEqualTo(1);
    }

    @Test
    void claimBatchSpendsQuarantineRoundsOnPassesThatQuarantinedCandidates() {
        // Eight passes of two malformed candidates each are quarantine rounds; the ninth finds the entries.
        entries(2 * Claimer.QUARANTINE_ROUNDS, "a", 10, malformed());
        List<ObjectId> good = entries(2, "a", 0, new Document());

        List<Lease> leases = queue.claimBatch(Set.of("a"), "w", 2);

        assertThat(ids(leases)).containsExactlyInAnyOrder(good.get(0).toHexString(), good.get(1).toHexString());
        assertThat(candidateReads()).as("the quarantine rounds and one").isEqualTo(Claimer.QUARANTINE_ROUNDS + 1);
    }

    @Test
    void claimBatchSpendsQuarantineRoundsOnExpiredLastAttemptsItDeadLetters() {
        entries(2 * Claimer.QUARANTINE_ROUNDS, "a", 10, expiredLastAttempt());
        List<ObjectId> good = entries(2, "a", 0, new Document());

        List<Lease> leases = queue.claimBatch(Set.of("a"), "w", 2);

        assertThat(ids(leases)).containsExactlyInAnyOrder(good.get(0).toHexString(), good.get(1).toHexString());
        assertThat(raw.countDocuments(new Document("state", "dead"))).isEqualTo(2 * Claimer.QUARANTINE_ROUNDS);
        assertThat(candidateReads()).as("the quarantine rounds and one").isEqualTo(Claimer.QUARANTINE_ROUNDS + 1);
    }

    @Test
    void claimBatchSpendsQuarantineRoundsOnEntriesFoundMalformedAfterTheirLease() {
        // The payload is not read with the candidates: these are leased, read in full, then quarantined.
        entries(2 * Claimer.QUARANTINE_ROUNDS, "a", 10, new Document("payload", 5));
        List<ObjectId> good = entries(2, "a", 0, new Document());

        List<Lease> leases = queue.claimBatch(Set.of("a"), "w", 2);

        assertThat(ids(leases)).containsExactlyInAnyOrder(good.get(0).toHexString(), good.get(1).toHexString());
        assertThat(raw.countDocuments(new Document("state", "dead"))).isEqualTo(2 * Claimer.QUARANTINE_ROUNDS);
    }

    /**
     * Another worker leases candidates this claim read: {@code claimStolen} entries taken right after
     * each of the first {@code passesStolen} candidate reads.
     */
    private MongoJobQueue queueLosingRaces(int passesStolen, int claimStolen) {
        return queueLosingRaces(passesStolen, Map.of("a", claimStolen), claimStolen);
    }

    private MongoJobQueue queueLosingRaces(int passesStolen, Map<String, Integer> stolenLimits, int claimStolen) {
        MongoJobQueue other = MongoJobQueue.using(client, config());
        AtomicInteger reads = new AtomicInteger();
        AtomicBoolean armed = new AtomicBoolean();
        MongoClient racing = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(mongo.connectionString()))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandSucceeded(CommandSucceededEvent event) {
                        if (armed.get() && event.getCommandName().equals("find") && event.getResponse()
                                .getDocument("cursor").getString("ns").getValue().endsWith("." + collection)
                                && reads.incrementAndGet() <= passesStolen) {
                            other.claimBatch(stolenLimits, "other", claimStolen);
                        }
                    }
                }).build());
        closeAfter.add(other);
        closeAfter.add(racing);
        MongoJobQueue racingQueue = MongoJobQueue.using(racing, config());
        armed.set(true);
        return racingQueue;
    }

    private final List<AutoCloseable> closeAfter = new ArrayList<>();

    @AfterEach
    void closeRacing() throws Exception {
        for (AutoCloseable closeable : closeAfter) {
            closeable.close();
        }
    }

    @Test
    void claimBatchReadsAgainForTheEntriesAnotherWorkerWonWhenMoreWait() {
        List<ObjectId> a = entries(10, "a", 0, new Document());
        MongoJobQueue racing = queueLosingRaces(1, 2);

        List<Lease> leases = racing.claimBatch(Set.of("a"), "w", 4);

        // The other worker took a1 and a2 after the first read: a3, a4, then a5 and a6 in a second pass.
        assertThat(ids(leases)).containsExactly(a.get(2).toHexString(), a.get(3).toHexString(), a.get(4).toHexString(),
                a.get(5).toHexString());
    }

    /** The issue-16 survivor: a second pass that asked for more than was left of {@code max}. */
    @Test
    void aSecondPassTakesOnlyWhatIsLeftOfMaxWhateverTheTypesHaveRoomFor() {
        List<ObjectId> a = entries(10, "a", 5, new Document());
        List<ObjectId> b = entries(10, "b", 0, new Document());
        // After the first read (a1-a4, then b1-b4), the other worker wins a1-a3: the first pass leases
        // a4 and stops before b1 (a's unread entries come first), the second takes a5-a7, and b
        // still has room for four when max is reached.
        MongoJobQueue racing = queueLosingRaces(1, Map.of("a", 3), 3);

        List<Lease> leases = racing.claimBatch(Map.of("a", 4, "b", 4), "w", 4);

        assertThat(ids(leases)).containsExactly(a.get(3).toHexString(), a.get(4).toHexString(), a.get(5).toHexString(),
                a.get(6).toHexString());
        assertThat(raw.countDocuments(new Document("workerId", "w"))).as("leased by this claim").isEqualTo(4);
        assertThat(raw.countDocuments(new Document("_id", new Document("$in", b)).append("state", "ready")))
                .as("b untouched").isEqualTo(10);
    }

    @Test
    void claimBatchDoesNotReadAgainWhenTheFirstReadSawEverythingThere() {
        List<ObjectId> a = entries(4, "a", 0, new Document());
        MongoJobQueue racing = queueLosingRaces(1, 1);

        List<Lease> leases = racing.claimBatch(Set.of("a"), "w", 8);

        assertThat(ids(leases)).containsExactly(a.get(1).toHexString(), a.get(2).toHexString(), a.get(3).toHexString());
    }

    @Test
    void claimBatchGivesUpAfterItsRoundsOfLostRaces() {
        List<ObjectId> a = entries(4 * Claimer.CLAIM_ROUNDS + 4, "a", 0, new Document());
        MongoJobQueue racing = queueLosingRaces(Claimer.CLAIM_ROUNDS, 4);

        assertThat(racing.claimBatch(Set.of("a"), "w", 4)).as("every candidate of every pass lost").isEmpty();
        assertThat(ids(racing.claimBatch(Set.of("a"), "w", 4))).as("the next claim").containsExactly(
                a.subList(4 * Claimer.CLAIM_ROUNDS, a.size()).stream().map(ObjectId::toHexString).toArray(String[]::new));
    }
}
