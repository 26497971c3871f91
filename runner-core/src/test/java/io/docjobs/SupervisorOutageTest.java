package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoCollection;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A supervisor rides out a database outage: its queue reaches the embedded server through a
 * {@link TcpProxy}, which is paused (new connections refused) with every open connection dropped
 * for about two seconds while a long job runs, shorter than that job's lease. Jobs keep arriving
 * during the outage (enqueued directly, bypassing the proxy, as another service would).
 *
 * <p>No quick job is in flight when the outage starts, and nothing is claimable: a job whose
 * {@code done} fails during an outage is redelivered after its lease expires and legitimately
 * runs twice (at-least-once), and a claim applied just before the drop is recovered only if a
 * retry gets through. This test is about the supervisor surviving, not about those documented
 * redeliveries; it can therefore count every execution exactly once.
 *
 * <p>The log is checked by teeing {@code System.err}, where slf4j-simple (the test binding)
 * writes; it resolves {@code System.err} on every line, so the tee sees the supervisor's lines.
 */
@Timeout(30)
@Tag("slow") // real network outages of seconds: left out of mutation runs (README, "Tests")
class SupervisorOutageTest {
    private static final String NAME = "outage";
    private static final Duration LONG_VISIBILITY = Duration.ofSeconds(4);
    private static final Duration OUTAGE = Duration.ofSeconds(2);

    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.behindFaultProxy();
    private TcpProxy proxy;
    private JobQueue queue;
    /** Enqueues without the proxy: producers elsewhere keep going during the supervisor's outage. */
    private JobQueue producer;
    private MongoCollection<Document> stored;
    private final MeterRegistry registry = new SimpleMeterRegistry();
    private final Map<String, Integer> executions = new ConcurrentHashMap<>();
    private final CountDownLatch longStarted = new CountDownLatch(1);
    private final CountDownLatch longMayFinish = new CountDownLatch(1);
    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void start() {
        originalErr = System.err;
        System.setErr(new PrintStream(new Tee(originalErr, log), true, StandardCharsets.UTF_8));
        proxy = mongo.proxy();
        stored = mongo.stored();
        // A one-minute heartbeat: operations, not the driver's monitor, meet the dropped connections
        // (see TransientFaultTest).
        queue = JobQueue.connect(QueueConfig.builder()
                .connectionString("mongodb://127.0.0.1:" + proxy.port() + "/?heartbeatFrequencyMS=60000")
                .operationTimeout(Duration.ofSeconds(1))
                .retryAttempts(2)
                .retryInitialBackoff(Duration.ofMillis(50))
                .retryMaxBackoff(Duration.ofMillis(200))
                .build());
        producer = JobQueue.using(mongo.client(), QueueConfig.builder().build());
    }

    @AfterEach
    void stop() {
        longMayFinish.countDown();
        try {
            if (queue != null) {
                queue.close();
            }
        } finally {
            System.setErr(originalErr);
        }
    }

    @Test
    void supervisorRidesOutAnOutageShorterThanTheLeaseAndRunsEveryJobOnce() {
        JobHandler quick = job -> executions.merge(job.id(), 1, Integer::sum);
        JobHandler longJob = job -> {
            executions.merge(job.id(), 1, Integer::sum);
            longStarted.countDown();
            if (!longMayFinish.await(25, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the test never let the long job finish");
            }
        };
        // Two pollers taking up to two jobs each: both poll during the outage, so "one WARN line per
        // failing kind, not one per poll" is told apart from "one per poll".
        try (Supervisor supervisor = Supervisor.builder(queue).name(NAME).meterRegistry(registry)
                .workers(6).pollers(2).maxBatch(2)
                .idleBackoff(Duration.ofMillis(10), Duration.ofMillis(100))
                .drainTimeout(Duration.ofSeconds(5))
                .depthRefresh(Duration.ZERO)
                .handle("quick", quick)
                .handle("long", longJob)
                .build().start()) {

            String longId = producer.enqueue("long", "report", LONG_VISIBILITY);
            List<String> before = enqueueQuick("before", 30);
            await().atMost(Duration.ofSeconds(10)).until(() -> longStarted.getCount() == 0
                    && executions.keySet().containsAll(before) && storedIds().equals(List.of(longId)));
            String longToken = entry(longId).getString("leaseToken");
            assertThat(longToken).isNotNull();
            assertThat(count("docjobs.db.errors")).isZero();

            // ---- the outage: nothing gets through for a little over two seconds. It starts just
            // after a heartbeat renewed the long job's lease, so the lease has its full 4 s ahead.
            // Started just before a heartbeat was due, it would leave the lease only 2/3 of 4 s:
            // this outage plus the up to ~1 s it takes to notice the server is back (the driver's
            // 500 ms minimum between monitor checks, the keeper's 500 ms error back-off) is about that.
            double extensions = count("docjobs.lease.extensions");
            await().pollInterval(Duration.ofMillis(5)).atMost(LONG_VISIBILITY)
                    .until(() -> count("docjobs.lease.extensions") > extensions);
            proxy.pause();
            proxy.dropConnections();
            long outageStarted = System.nanoTime();
            List<String> during = enqueueQuick("during", 20);
            // Each failing claim takes its 2 tries of up to 1 s each (server selection), so the
            // pollers' first errors come a little after 2 s; wait for them, then end the outage.
            await().pollDelay(OUTAGE).atMost(OUTAGE.plusSeconds(2))
                    .until(() -> count("docjobs.polls", "result", "error") >= 2);
            assertThat(count("docjobs.db.errors")).as("failed operations are counted").isGreaterThanOrEqualTo(2);
            assertThat(count("docjobs.db.errors", "operation", "claim")).isGreaterThanOrEqualTo(2);
            assertThat(supervisor.state()).isEqualTo(Supervisor.State.RUNNING);
            assertThat(supervisor.isLive()).as("live: its loops go round, the database is not its liveness").isTrue();
            assertThreadsAlive();
            assertThat(executions.keySet()).as("nothing enqueued during the outage ran yet").doesNotContainAnyElementsOf(during);
            assertThat(entry(longId)).as("the long job is still leased, by the same lease").containsEntry("leaseToken", longToken);
            Date deadlineAtResume = entry(longId).getDate("visibleAt");
            double extensionsAtResume = count("docjobs.lease.extensions");
            proxy.resume();
            assertThat(Duration.ofNanos(System.nanoTime() - outageStarted)).as("the outage was shorter than the lease")
                    .isLessThan(LONG_VISIBILITY.minusMillis(500));

            // ---- after the outage
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                Document entry = entry(longId);
                assertThat(entry.getString("leaseToken")).as("the long job kept its lease").isEqualTo(longToken);
                assertThat(entry.getDate("visibleAt")).as("its lease was extended after the outage").isAfter(deadlineAtResume);
                assertThat(count("docjobs.lease.extensions")).isGreaterThan(extensionsAtResume);
            });
            List<String> after = enqueueQuick("after", 10);
            await().atMost(Duration.ofSeconds(10)).until(() -> executions.keySet().containsAll(during)
                    && executions.keySet().containsAll(after) && storedIds().equals(List.of(longId)));
            assertThat(entry(longId)).containsEntry("leaseToken", longToken).containsEntry("attempts", 1);

            longMayFinish.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> storedIds().isEmpty());

            List<String> all = new ArrayList<>(before);
            all.addAll(during);
            all.addAll(after);
            all.add(longId);
            assertThat(executions).as("every job ran exactly once").hasSize(all.size())
                    .containsOnlyKeys(all).allSatisfy((id, runs) -> assertThat(runs).as("runs of " + id).isOne());
            // Counted when the completion's answer comes back, a moment after the entry is gone.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(count("docjobs.jobs.finished", "outcome", "success")).isEqualTo(all.size()));
            assertThat(count("docjobs.jobs.finished", "type", "long", "outcome", "success")).isOne();
            assertThat(count("docjobs.jobs.finished")).as("no other outcome").isEqualTo(all.size());
            assertThat(count("docjobs.lease.losses")).isZero();
            assertThat(count("docjobs.db.errors", "operation", "done")).isZero();
            assertThat(count("docjobs.db.errors", "operation", "release")).isZero();
            assertThat(supervisor.state()).isEqualTo(Supervisor.State.RUNNING);
            assertThat(supervisor.claimsSucceeding()).as("claims work again").isTrue();
            assertThreadsAlive();

            // ---- the log: one WARN line per failing kind of operation, not one per failed poll
            List<String> warnings = supervisorLines(" WARN ");
            List<String> claimWarnings = warnings.stream().filter(line -> line.contains("claiming jobs from")).toList();
            List<String> extendWarnings = warnings.stream().filter(line -> line.contains("extending leases on")).toList();
            assertThat(claimWarnings).as("WARN lines about claiming, in " + warnings).hasSize(1);
            assertThat(extendWarnings).as("WARN lines about extending, in " + warnings)
                    .hasSize(count("docjobs.db.errors", "operation", "extend") > 0 ? 1 : 0);
            assertThat(warnings).as("no other WARN lines").hasSize(claimWarnings.size() + extendWarnings.size());
            assertThat(supervisorLines(" ERROR ")).isEmpty();
        }
    }

    private List<String> enqueueQuick(String batch, int count) {
        List<JobRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(JobRequest.builder("quick").payload(batch + "-" + i).build());
        }
        return producer.enqueueAll(requests).stream().map(EnqueueResult::id).toList();
    }

    private double count(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream().mapToDouble(counter -> counter.count()).sum();
    }

    private void assertThreadsAlive() {
        List<String> alive = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).toList();
        assertThat(alive).contains("docjobs-" + NAME + "-poller-1", "docjobs-" + NAME + "-poller-2",
                "docjobs-" + NAME + "-lease-keeper");
    }

    private Document entry(String id) {
        return mongo.storedEntry(id);
    }

    private List<String> storedIds() {
        return mongo.storedIds();
    }

    /** Log lines of the given level written by this supervisor's threads. */
    private List<String> supervisorLines(String level) {
        String text;
        synchronized (log) {
            text = log.toString(StandardCharsets.UTF_8);
        }
        return text.lines().filter(line -> line.contains("[docjobs-" + NAME + "-") && line.contains(level)).toList();
    }

    /** Writes to the original stream and keeps a copy. */
    private static final class Tee extends OutputStream {
        private final OutputStream original;
        private final ByteArrayOutputStream copy;

        Tee(OutputStream original, ByteArrayOutputStream copy) {
            this.original = original;
            this.copy = copy;
        }

        @Override
        public void write(int b) throws IOException {
            original.write(b);
            synchronized (copy) {
                copy.write(b);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            original.write(b, off, len);
            synchronized (copy) {
                copy.write(b, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            original.flush();
        }
    }
}
