package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoCollection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Network faults between the queue and the database, injected with a {@link TcpProxy}: a transient
 * fault is retried and the caller never sees it; a persistent one ends, within the configured
 * tries, in a {@link DatabaseUnavailableException} that names the operation; either way nothing is
 * lost. The embedded server is always checked directly, bypassing the proxy.
 */
@Timeout(30)
@Tag("slow") // real network outages of seconds: left out of mutation runs (README, "Tests")
class TransientFaultTest {
    private static final Set<String> EMAIL = Set.of("email");
    private static final Duration VISIBILITY = Duration.ofSeconds(30);

    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.behindFaultProxy();
    private TcpProxy proxy;
    /** The entries as stored, read without the proxy. */
    private MongoCollection<Document> stored;

    @BeforeEach
    void start() {
        proxy = mongo.proxy();
        stored = mongo.stored();
    }

    /**
     * Through the proxy. The driver's server monitor checks every 10 s by default; were it to run
     * between a fault and the next operation it would notice the dead connections first and spare
     * the operation its error. A one-minute heartbeat keeps it out of the way, so every operation
     * after {@link TcpProxy#dropConnections()} really meets the dead pooled connection. (The monitor
     * still checks at once whenever an operation needs the server and it is unknown.)
     */
    private JobQueue connect(Duration operationTimeout, int retryAttempts) {
        return connect("", operationTimeout, retryAttempts);
    }

    private JobQueue connect(String moreOptions, Duration operationTimeout, int retryAttempts) {
        return JobQueue.connect(QueueConfig.builder()
                .connectionString("mongodb://127.0.0.1:" + proxy.port() + "/?heartbeatFrequencyMS=60000" + moreOptions)
                .operationTimeout(operationTimeout)
                .retryAttempts(retryAttempts)
                .retryInitialBackoff(Duration.ofMillis(50))
                .build());
    }

    @Test
    void retriesAnOperationWhoseConnectionWasDropped() {
        try (JobQueue queue = connect(Duration.ofSeconds(2), 4)) {
            String first = queue.enqueue("email", "first", VISIBILITY);
            String second = queue.enqueue("email", "second", VISIBILITY);
            Lease lease = queue.claim(EMAIL, "w1").orElseThrow();
            int connectionsBefore = proxy.forwardedConnections();

            proxy.dropConnections();
            assertThat(queue.done(lease)).isTrue();

            assertThat(proxy.forwardedConnections()).as("the retry reconnected").isGreaterThan(connectionsBefore);
            assertThat(stored.countDocuments(new Document("_id", new ObjectId(lease.id())))).isZero();

            proxy.dropConnections();
            String third = queue.enqueue("email", "third", VISIBILITY);

            proxy.dropConnections();
            Lease next = queue.claim(EMAIL, "w1").orElseThrow();

            String remaining = lease.id().equals(first) ? second : first;
            assertThat(next.id()).isIn(remaining, third);
            assertThat(next.attempt()).isEqualTo(1);
            assertThat(stored.find(new Document("_id", new ObjectId(next.id()))).first())
                    .as("claimed once, with the token of the lease handed out")
                    .containsEntry("attempts", 1)
                    .containsEntry("leaseToken", next.token());
            assertThat(storedIds()).containsExactlyInAnyOrder(remaining, third);

            proxy.dropConnections();
            assertThat(queue.done(next)).isTrue();
            Lease last = queue.claim(EMAIL, "w1").orElseThrow();
            assertThat(last.id()).isIn(remaining, third).isNotEqualTo(next.id());
            assertThat(queue.done(last)).isTrue();
            assertThat(queue.claim(EMAIL, "w1")).isEmpty();
            assertThat(storedIds()).isEmpty();
        }
    }

    /** The control for the test above: the same fault with retrying off reaches the caller after one try. */
    @Test
    void withoutRetryingADroppedConnectionFailsTheOperationAndTheLeaseStillHolds() {
        try (JobQueue queue = connect(Duration.ofSeconds(2), 1)) {
            String id = queue.enqueue("email", "only", VISIBILITY);
            Lease lease = queue.claim(EMAIL, "w1").orElseThrow();

            proxy.dropConnections();
            assertThatThrownBy(() -> queue.done(lease))
                    .isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("done of " + id)
                    .hasMessageContaining("failed after 1 try with transient database errors")
                    .hasMessageContaining("MongoSocket")
                    .asInstanceOf(InstanceOfAssertFactories.type(DatabaseUnavailableException.class))
                    .returns(new DocJobsException.Context("done of " + id, "docjobs.jobs", id, "email", 1),
                            DocJobsException::context);

            assertThat(stored.find(new Document("_id", new ObjectId(id))).first())
                    .as("the failed done deleted nothing")
                    .containsEntry("leaseToken", lease.token());
            await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(DatabaseUnavailableException.class)
                    .untilAsserted(() -> assertThat(queue.done(lease)).isTrue());
            assertThat(storedIds()).isEmpty();
        }
    }

    @Test
    void persistentOutageGivesDatabaseUnavailableNamingTheOperationAndNothingIsLost() {
        try (JobQueue queue = connect(Duration.ofSeconds(1), 3)) {
            List<String> enqueued = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                enqueued.add(queue.enqueue("email", "mail-" + i, VISIBILITY));
            }
            String reportId = queue.enqueue("report", "monthly", VISIBILITY);
            Lease report = queue.claim(Set.of("report"), "w1").orElseThrow();

            proxy.pause();
            proxy.dropConnections();

            long started = System.nanoTime();
            assertThatThrownBy(() -> queue.enqueue("email", "during outage", VISIBILITY))
                    .isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("enqueue of type \"email\" on queue docjobs.jobs")
                    .hasMessageContaining("failed after 3 tries with transient database errors");
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .as("3 tries of at most 1 s each plus backoff").isLessThan(Duration.ofSeconds(6));
            assertThatThrownBy(() -> queue.claim(EMAIL, "w2"))
                    .isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("claim of [email] on queue docjobs.jobs")
                    .hasMessageContaining("failed after 3 tries with transient database errors")
                    .asInstanceOf(InstanceOfAssertFactories.type(DatabaseUnavailableException.class))
                    .returns(new DocJobsException.Context("claim of [email]", "docjobs.jobs", null, null, 0),
                            DocJobsException::context);
            assertThatThrownBy(() -> queue.done(report))
                    .isInstanceOf(DatabaseUnavailableException.class)
                    .hasMessageContaining("done of " + reportId)
                    .hasMessageContaining("transient");
            assertThat(proxy.openConnections()).as("nothing got through during the outage").isZero();

            proxy.resume();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(DatabaseUnavailableException.class)
                    .untilAsserted(() -> assertThat(queue.done(report)).as("the lease held through the outage").isTrue());

            List<String> claimed = new ArrayList<>();
            for (Optional<Lease> lease = queue.claim(EMAIL, "w2"); lease.isPresent(); lease = queue.claim(EMAIL, "w2")) {
                claimed.add(lease.get().id());
                assertThat(lease.get().attempt()).isEqualTo(1);
            }
            assertThat(claimed).as("every entry enqueued before the outage, each once, and nothing else")
                    .containsExactlyInAnyOrderElementsOf(enqueued);
            assertThat(storedIds()).containsExactlyInAnyOrderElementsOf(enqueued);
        }
    }

    /**
     * Workers claiming and completing while connections drop under them. The driver retries
     * nothing here (retryWrites=false, as Amazon DocumentDB needs), so every recovery is ours.
     * Besides dead connections the workers meet MongoConnectionPoolClearedException: one worker's
     * failure pauses the pool while another is about to check out a connection. Each drop waits
     * until every worker has finished a round since the last one, so the faults do not pile up.
     *
     * <p>The entries are enqueued before the faults begin: an enqueue whose reply is lost and whose
     * entry is claimed and completed before its retry inserts the entry again (a second delivery,
     * which at-least-once allows but this test would count as a double claim).
     */
    @Test
    void concurrentWorkersRideOutDroppedConnectionsAndNothingIsLostOrDoubled() throws Exception {
        int workers = 8;
        int drops = 5;
        try (JobQueue queue = connect("&retryWrites=false&retryReads=false", Duration.ofSeconds(2), 4)) {
            List<JobRequest> requests = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                requests.add(JobRequest.builder("email").payload("mail-" + i).visibilityTimeout(VISIBILITY).build());
            }
            Set<String> enqueued = new HashSet<>();
            queue.enqueueAll(requests).forEach(result -> enqueued.add(result.id()));
            assertThat(enqueued).hasSize(requests.size());

            Map<String, List<Lease>> claims = new ConcurrentHashMap<>();
            Map<String, Integer> completions = new ConcurrentHashMap<>();
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            AtomicIntegerArray rounds = new AtomicIntegerArray(workers);
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(workers);
            try {
                for (int w = 0; w < workers; w++) {
                    int worker = w;
                    pool.submit(() -> {
                        while (!stop.get()) {
                            try {
                                Optional<Lease> lease = queue.claim(EMAIL, "w" + worker);
                                if (lease.isPresent()) {
                                    claims.computeIfAbsent(lease.get().id(), id -> new CopyOnWriteArrayList<>())
                                            .add(lease.get());
                                    if (queue.done(lease.get())) {
                                        completions.merge(lease.get().id(), 1, Integer::sum);
                                    } else {
                                        failures.add(new AssertionError("lease lost: " + lease.get()));
                                    }
                                }
                                rounds.incrementAndGet(worker);
                            } catch (RuntimeException e) {
                                failures.add(e);
                            }
                        }
                    });
                }
                for (int drop = 0; drop <= drops; drop++) {
                    int[] before = snapshot(rounds);
                    await().atMost(Duration.ofSeconds(10))
                            .failFast(() -> assertThat(failures).isEmpty())
                            .until(() -> everyWorkerAdvanced(before, rounds));
                    if (drop < drops) {
                        proxy.dropConnections();
                    }
                }
            } finally {
                stop.set(true);
                pool.shutdown();
                assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).as("workers stopped").isTrue();
            }

            assertThat(failures).isEmpty();
            assertThat(proxy.forwardedConnections()).as("reconnected after the drops").isGreaterThan(drops);
            assertThat(completions).as("work was done across the drops").hasSizeGreaterThan(drops);
            assertThat(claims).as("no entry claimed twice").allSatisfy((id, leases) -> assertThat(leases).hasSize(1));
            assertThat(completions).as("no entry completed twice").allSatisfy((id, count) -> assertThat(count).isOne());
            List<String> left = storedIds();
            assertThat(left).as("nothing completed is still stored").doesNotContainAnyElementsOf(completions.keySet());
            Set<String> accounted = new HashSet<>(left);
            accounted.addAll(completions.keySet());
            assertThat(accounted).as("every entry was completed or is still stored, and there is nothing else")
                    .isEqualTo(enqueued);
        }
    }

    private static int[] snapshot(AtomicIntegerArray counters) {
        int[] copy = new int[counters.length()];
        for (int i = 0; i < copy.length; i++) {
            copy[i] = counters.get(i);
        }
        return copy;
    }

    private static boolean everyWorkerAdvanced(int[] before, AtomicIntegerArray now) {
        for (int i = 0; i < before.length; i++) {
            if (now.get(i) <= before[i]) {
                return false;
            }
        }
        return true;
    }

    private List<String> storedIds() {
        return mongo.storedIds();
    }
}
