package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Stream;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every query the queue sends for the operations in {@link #operations()} is served by an index on
 * a real MongoDB or DocumentDB: no collection scan, no in-memory sort. The queue runs each
 * operation on a client that records the commands it sends; each recorded command is then
 * explained as sent, so the shapes checked cannot drift from the code. Run with e.g.
 * {@code DOCJOBS_TEST_MONGODB_URI=mongodb://localhost:27017 ./mvnw -pl runner-core test -Dtest=IndexUsageTest};
 * skipped when the variable is not set (the embedded server has no planner to explain).
 *
 * <p>To cover another operation, add one line to {@link #operations()}: a name and a function
 * that prepares what the operation needs on the {@link Fixture} (not recorded) and returns the
 * operation itself (recorded).
 */
@EnabledIfEnvironmentVariable(named = "DOCJOBS_TEST_MONGODB_URI", matches = ".+")
class IndexUsageTest {
    private static final String DATABASE = "docjobs_test";
    private static Fixture fixture;

    /** The operations checked. Each line: a name, then what to prepare (unrecorded) returning the recorded call. */
    static Stream<Operation> operations() {
        return Stream.of(
                operation("get", f -> () -> f.queue().get(f.deadId())),
                operation("stats", f -> () -> f.queue().stats()),
                operation("peek of one type", f -> () -> f.queue().peek("email", 10)),
                operation("dead letters of all types", f -> () -> f.queue().deadLetters(null, null, 20)),
                operation("dead letters of all types, a later page", f -> {
                    String after = f.queue().deadLetters(null, null, 30).next();
                    return () -> f.queue().deadLetters(null, after, 20);
                }),
                operation("dead letters of one type", f -> () -> f.queue().deadLetters("sms", null, 20)),
                operation("dead letters of one type, a later page", f -> {
                    String after = f.queue().deadLetters("sms", null, 10).next();
                    return () -> f.queue().deadLetters("sms", after, 20);
                }),
                operation("jobs, newest first", f -> () -> f.queue().jobs(JobQuery.newest().withLimit(20))),
                operation("jobs, newest first, a later page", f -> {
                    String after = f.queue().jobs(JobQuery.newest().withLimit(30)).next();
                    return () -> f.queue().jobs(JobQuery.newest().withLimit(20).withAfter(after));
                }),
                operation("jobs of one type, newest first", f -> () -> f.queue().jobs(JobQuery.newest().withType("sms"))),
                operation("jobs of one type and state, newest first, a later page", f -> {
                    JobQuery query = JobQuery.newest().withType("sms").withState(JobState.READY).withLimit(10);
                    String after = f.queue().jobs(query).next();
                    return () -> f.queue().jobs(query.withAfter(after));
                }),
                operation("jobs by dedup key", f -> () -> f.queue().jobs(JobQuery.newest().withDedupKey("order-42"))),
                operation("supervisors, one of them gone with its leases", f -> {
                    f.registerGone("fixture");
                    return () -> assertThat(f.queue().supervisors()).isNotEmpty();
                }),
                operation("purge of old dead letters", f -> () -> f.queue().purgeDead(null, f.start())),
                operation("purge of old dead letters of one type", f -> () -> f.queue().purgeDead("sms", f.start())),
                operation("claim", f -> () -> f.queue().claim(Set.of("email"), "w")),
                operation("claim of two types", f -> () -> f.queue().claim(Set.of("email", "sms"), "w")),
                operation("claimBatch with limits", f -> () -> f.queue().claimBatch(Map.of("email", 3, "sms", 2), "w", 4)),
                operation("done", f -> {
                    Lease lease = f.claim("email");
                    return () -> f.queue().done(lease);
                }),
                operation("doneAll", f -> {
                    List<Lease> leases = List.of(f.claim("email"), f.claim("sms"));
                    return () -> f.queue().doneAll(leases);
                }),
                operation("extend", f -> {
                    Lease lease = f.claim("sms");
                    return () -> f.queue().extend(lease, Duration.ofMinutes(1));
                }),
                operation("extendAll", f -> {
                    List<Lease> leases = List.of(f.claim("email"), f.claim("sms"));
                    return () -> f.queue().extendAll(leases, Duration.ofMinutes(1));
                }),
                operation("release", f -> {
                    Lease lease = f.claim("email");
                    return () -> f.queue().release(lease, Duration.ofSeconds(5), JobError.of("again"));
                }),
                operation("giveBack", f -> {
                    Lease lease = f.claim("sms");
                    return () -> f.queue().giveBack(lease);
                }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void everyQueryIsServedByAnIndex(Operation operation) {
        List<BsonDocument> sent = fixture.record(operation.prepare().apply(fixture));

        List<String> explained = new ArrayList<>();
        for (BsonDocument command : sent) {
            for (BsonDocument explain : QueryPlans.explainCommands(command)) {
                BsonDocument plan = fixture.client().getDatabase(command.getString("$db").getValue())
                        .runCommand(explain, BsonDocument.class);
                assertThat(QueryPlans.problems(plan)).as("%s: %s%nplan: %s", operation, explain.toJson(), plan.toJson())
                        .isEmpty();
                explained.add(QueryPlans.commandName(command) + " " + QueryPlans.winningStages(plan));
            }
        }
        assertThat(explained).as("%s sends at least one query (sent: %s)", operation, sent).isNotEmpty();
    }

    @BeforeAll
    static void fill() {
        fixture = new Fixture(System.getenv("DOCJOBS_TEST_MONGODB_URI"));
    }

    @AfterAll
    static void drop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static Operation operation(String name, Function<Fixture, Runnable> prepare) {
        return new Operation(name, prepare);
    }

    /** An operation to check: {@code prepare} sets it up on the fixture and returns the call to record. */
    record Operation(String name, Function<Fixture, Runnable> prepare) {
        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * A queue on a collection of its own with a backlog of every state, on a client that records
     * the commands it sends while {@link #record} runs. Entries: 300 ready of three types (some
     * delayed, priorities 0 to 4), 30 leased, 120 dead of three types, each dead letter a second
     * after the one before; {@link #start()} is before all of them.
     */
    static final class Fixture implements AutoCloseable {
        private static final List<String> TYPES = List.of("email", "sms", "push");
        private final List<BsonDocument> recorded = new CopyOnWriteArrayList<>();
        private volatile boolean recording;
        private final MongoClient client;
        private final String collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        private final ManualClock clock = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
        private final Instant start = clock.instant();
        private final JobQueue queue;
        private final String deadId;

        Fixture(String uri) {
            client = MongoClients.create(MongoClientSettings.builder().applyConnectionString(new ConnectionString(uri))
                    .addCommandListener(new CommandListener() {
                        @Override
                        public void commandStarted(CommandStartedEvent event) {
                            if (recording) {
                                recorded.add(event.getCommand().clone());
                            }
                        }
                    }).build());
            queue = JobQueue.using(client, QueueConfig.builder().database(DATABASE).collection(collection).clock(clock)
                    .serverClockSync(Duration.ZERO).build());
            List<JobRequest> backlog = new ArrayList<>();
            for (int i = 0; i < 450; i++) {
                backlog.add(JobRequest.builder(TYPES.get(i % 3)).payload("{\"n\": " + i + "}").priority(i % 5)
                        .delay(i % 7 == 0 ? Duration.ofHours(1) : Duration.ZERO).maxAttempts(1).build());
            }
            queue.enqueueAll(backlog);
            clock.advance(Duration.ofSeconds(1));
            String lastDead = null;
            for (int i = 0; i < 120; i++) {
                Lease lease = queue.claim(Set.of(TYPES.get(i % 3)), "fixture").orElseThrow();
                queue.deadLetter(lease, JobError.of("fixture " + i));
                lastDead = lease.id();
                clock.advance(Duration.ofSeconds(1));
            }
            queue.claimBatch(Set.copyOf(TYPES), "fixture", 30);
            deadId = lastDead;
        }

        /** {@return the commands {@code operation} sends} */
        List<BsonDocument> record(Runnable operation) {
            recorded.clear();
            recording = true;
            try {
                operation.run();
            } finally {
                recording = false;
            }
            return List.copyOf(recorded);
        }

        JobQueue queue() {
            return queue;
        }

        MongoClient client() {
            return client;
        }

        /** {@return a dead letter's id} */
        String deadId() {
            return deadId;
        }

        /** {@return a database time before every entry of the fixture} */
        Instant start() {
            return start;
        }

        /**
         * Writes a registry document for {@code workerId} whose last write is long past, so that
         * {@link JobAdmin#supervisors()} looks up the leases it still holds.
         */
        void registerGone(String workerId) {
            client.getDatabase(DATABASE).getCollection(collection + "_supervisors").replaceOne(
                    new org.bson.Document("_id", workerId),
                    new org.bson.Document("_id", workerId).append("intervalMs", 10_000L)
                            .append("types", java.util.List.of("email", "sms"))
                            .append("lastSeen", java.util.Date.from(start.minus(Duration.ofHours(1)))),
                    new com.mongodb.client.model.ReplaceOptions().upsert(true));
        }

        /** {@return a lease on a ready entry of {@code type}, claimed now (for operations on leases)} */
        Lease claim(String type) {
            return queue.claim(Set.of(type), "fixture").orElseThrow(() -> new AssertionError("no ready " + type + " left"));
        }

        @Override
        public void close() {
            client.getDatabase(DATABASE).getCollection(collection).drop();
            client.getDatabase(DATABASE).getCollection(collection + "_supervisors").drop();
            queue.close();
            client.close();
        }
    }
}
