package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.HandlerOptions;
import io.docjobs.JobContext;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import io.docjobs.ManualQueues;
import io.docjobs.NonRetryableException;
import io.docjobs.internal.RunningJob.Ending;
import io.docjobs.testing.ManualClock;
import io.docjobs.testing.TestLeases;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One job's life on its worker thread: who may interrupt it, when it may start, which deadline it
 * keeps; and the {@link JobContext} its handler sees, on leases claimed from a real queue.
 */
@Timeout(30)
class RunningJobTest {
    private static final Registration EMAIL = new Registration("email", job -> { }, HandlerOptions.DEFAULTS);
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private final ManualTicker ticker = new ManualTicker();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    private JobQueue queue;

    @BeforeEach
    void openQueue() {
        queue = queues.open(clock);
    }

    /** Enqueues {@code request} and claims it as {@code worker-7}. */
    private Lease claimed(JobRequest request) {
        queue.enqueue(request);
        return queue.claim(Set.of(request.type()), "worker-7").orElseThrow();
    }

    private RunningJob running(Lease lease, HandlerOptions options) {
        return new RunningJob(queue, new Registration(lease.type(), job -> { }, options), lease, ticker);
    }

    private Instant storedDeadline(String id) {
        return queue.get(id).orElseThrow().visibleAt();
    }

    private static Lease lease(String token, Instant deadline) {
        return TestLeases.builder().id("65f1c0ffee00000000000001").type("email").payload("x").attempt(1).maxAttempts(5)
                .token(token).workerId("w1").deadline(deadline).enqueuedAt(Instant.EPOCH).visibleSince(Instant.EPOCH)
                .visibilityTimeout(Duration.ofSeconds(30)).build();
    }

    private RunningJob job() {
        return new RunningJob(null, EMAIL, lease("t1", Instant.EPOCH.plusSeconds(30)), ticker);
    }

    @Test
    void aJobEndedBeforeItsThreadCameNeverStarts() {
        RunningJob job = job();
        assertThat(job.end(RunningJob.Ending.TIMED_OUT)).isTrue();

        assertThat(job.start(Thread.currentThread())).isFalse();
        assertThat(job.hasStarted()).isFalse();
        assertThat(job.extendLease(Duration.ofMinutes(1))).isFalse();
        assertThat(job.isCancelled()).isTrue();
    }

    @Test
    void aRenewalNeverMovesTheRememberedDeadlineBack() {
        RunningJob job = job();
        Instant later = Instant.EPOCH.plusSeconds(3600);
        job.renewed(lease("t1", later));

        job.renewed(lease("t1", Instant.EPOCH.plusSeconds(60)));
        job.renewed(lease("other-token", Instant.EPOCH.plusSeconds(7200)));

        assertThat(job.deadline()).isEqualTo(later);
    }

    @Test
    void theSlotIsReleasedExactlyOnce() {
        RunningJob job = job();
        assertThat(job.releaseSlot()).isTrue();
        assertThat(job.releaseSlot()).isFalse();
    }

    /**
     * The lease keeper interrupts a job at any moment, while the same worker thread finishes it
     * and starts the next: no interrupt meant for one job may ever be seen by a later one.
     */
    @Test
    void anInterruptForOneJobNeverReachesTheNextJobOnTheSameThread() throws Exception {
        int jobs = 20_000;
        AtomicReference<RunningJob> current = new AtomicReference<>();
        AtomicInteger leaked = new AtomicInteger();
        AtomicInteger started = new AtomicInteger();
        Thread worker = new Thread(() -> {
            for (int i = 0; i < jobs; i++) {
                RunningJob job = job();
                current.set(job);
                if (!job.start(Thread.currentThread())) {
                    continue;
                }
                started.incrementAndGet();
                if (Thread.currentThread().isInterrupted() && job.isRunning()) {
                    leaked.incrementAndGet(); // interrupted while nobody ended this job
                }
                job.end(RunningJob.Ending.COMPLETED);
                job.detach();
                Thread.interrupted();
            }
        });
        Thread keeper = new Thread(() -> {
            while (worker.isAlive()) {
                RunningJob job = current.get();
                if (job != null && job.end(RunningJob.Ending.LEASE_LOST)) {
                    job.interrupt();
                }
            }
        });
        worker.start();
        keeper.start();
        worker.join();
        keeper.join();

        assertThat(started.get()).isPositive();
        assertThat(leaked).hasValue(0);
    }

    // ------------------------------------------------------------------ what the handler sees

    @Test
    void theContextDescribesTheClaimedJob() {
        Instant enqueuedAt = clock.instant();
        String id = queue.enqueue(JobRequest.builder("email").payload("{\"to\": \"a@example.com\", \"n\": 3}")
                .maxAttempts(4).visibilityTimeout(Duration.ofSeconds(30)).traceparent(TRACEPARENT).build()).id();
        clock.advance(Duration.ofSeconds(5));
        JobContext job = running(queue.claim(Set.of("email"), "worker-7").orElseThrow(), HandlerOptions.DEFAULTS);

        assertThat(job.id()).isEqualTo(id);
        assertThat(job.type()).isEqualTo("email");
        assertThat(job.payload()).isEqualTo("{\"to\": \"a@example.com\", \"n\": 3}");
        assertThat(job.payloadDocument()).as("the JSON text parsed")
                .isEqualTo(new Document("to", "a@example.com").append("n", 3));
        assertThat(job.attempt()).isEqualTo(1);
        assertThat(job.maxAttempts()).isEqualTo(4);
        assertThat(job.deadline()).as("claimed 5 s after the enqueue, for 30 s").isEqualTo(enqueuedAt.plusSeconds(35));
        assertThat(job.enqueuedAt()).isEqualTo(enqueuedAt);
        assertThat(job.workerId()).isEqualTo("worker-7");
        assertThat(job.traceparent()).isEqualTo(TRACEPARENT);
        assertThat(job.isLeaseLost()).isFalse();
        assertThat(job.isCancelled()).isFalse();
        assertThat(job).hasToString("job " + id + " (type \"email\", attempt 1)");
    }

    @Test
    void aRedeliveredJobShowsItsNextAttempt() {
        Lease first = claimed(JobRequest.builder("email").payload("x").visibilityTimeout(Duration.ofSeconds(30)).build());
        clock.advance(Duration.ofSeconds(31)); // the first worker vanished; its lease expired

        JobContext job = running(queue.claim(Set.of("email"), "worker-8").orElseThrow(), HandlerOptions.DEFAULTS);

        assertThat(job.id()).isEqualTo(first.id());
        assertThat(job.attempt()).isEqualTo(2);
        assertThat(job.workerId()).isEqualTo("worker-8");
        assertThat(job.traceparent()).as("enqueued without a trace context").isNull();
        assertThat(job.toString()).contains(first.id()).contains("attempt 2");
    }

    @Test
    void aDocumentPayloadIsSeenAsTheDocumentAndAsJson() {
        Document payload = new Document("to", "a@example.com").append("n", 3);
        RunningJob job = running(claimed(JobRequest.builder("email").payload(payload).build()), HandlerOptions.DEFAULTS);

        assertThat(job.payloadDocument()).isEqualTo(payload);
        assertThat(Document.parse(job.payload())).isEqualTo(payload);
    }

    @Test
    void aTextPayloadThatIsNotJsonIsANonRetryableFailureNamingTheJob() {
        RunningJob job = running(claimed(JobRequest.builder("email").payload("Dear customer,").build()),
                HandlerOptions.DEFAULTS);

        assertThatThrownBy(job::payloadDocument)
                .as("retrying cannot fix a payload: the job is dead-lettered at once")
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("job " + job.id())
                .hasMessageContaining("type \"email\"")
                .hasMessageContaining("not a JSON object")
                .hasCauseInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theHandlersAttemptCapWinsOnlyWhenItIsLower() {
        Lease lease = claimed(JobRequest.builder("email").payload("x").maxAttempts(5).build());

        assertThat(running(lease, HandlerOptions.DEFAULTS).maxAttempts()).as("no cap: the entry's").isEqualTo(5);
        assertThat(running(lease, HandlerOptions.builder().maxAttempts(3).build()).maxAttempts()).isEqualTo(3);
        assertThat(running(lease, HandlerOptions.builder().maxAttempts(7).build()).maxAttempts())
                .as("a higher cap cannot give the entry more attempts than it has").isEqualTo(5);
    }

    @Test
    void extendLeaseMovesTheDeadlineWhileTheJobRuns() {
        RunningJob job = running(claimed(JobRequest.builder("email").payload("x").visibilityTimeout(Duration.ofSeconds(30))
                .build()), HandlerOptions.DEFAULTS);
        clock.advance(Duration.ofSeconds(20));

        assertThat(job.extendLease(Duration.ofMinutes(5))).isTrue();

        Instant extended = clock.instant().plus(Duration.ofMinutes(5));
        assertThat(job.deadline()).isEqualTo(extended);
        assertThat(storedDeadline(job.id())).isEqualTo(extended);
        assertThat(job.lease().deadline()).as("the lease the keeper extends next").isEqualTo(extended);

        // A heartbeat's renewal moves it too.
        clock.advance(Duration.ofMinutes(2));
        Lease renewed = queue.extend(job.lease(), Duration.ofMinutes(10)).orElseThrow();
        job.renewed(renewed);
        assertThat(job.deadline()).isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));
    }

    @Test
    void extendLeaseIsRefusedOnceTheJobEndedAndLeavesTheStoredLeaseAlone() {
        for (Ending how : Ending.values()) {
            RunningJob job = running(claimed(JobRequest.builder("email").payload(how.name()).build()),
                    HandlerOptions.DEFAULTS);
            Instant deadline = job.deadline();
            job.end(how);

            assertThat(job.extendLease(Duration.ofMinutes(5))).as(how.name()).isFalse();
            assertThat(job.deadline()).as(how.name()).isEqualTo(deadline);
            assertThat(storedDeadline(job.id())).as(how.name()).isEqualTo(deadline);
        }
    }

    @Test
    void extendLeaseReportsALeaseTakenByAnotherWorker() {
        RunningJob job = running(claimed(JobRequest.builder("email").payload("x").visibilityTimeout(Duration.ofSeconds(30))
                .build()), HandlerOptions.DEFAULTS);
        Instant deadline = job.deadline();
        clock.advance(Duration.ofSeconds(31));
        Lease other = queue.claim(Set.of("email"), "worker-8").orElseThrow();

        assertThat(job.extendLease(Duration.ofMinutes(5))).isFalse();

        assertThat(job.deadline()).isEqualTo(deadline);
        assertThat(storedDeadline(job.id())).as("the new owner's lease is untouched").isEqualTo(other.deadline());
    }

    @Test
    void leaseLostAndCancelledFollowHowTheJobEnded() {
        RunningJob running = job();
        assertThat(running.isLeaseLost()).isFalse();
        assertThat(running.isCancelled()).isFalse();

        for (Ending how : Ending.values()) {
            RunningJob job = job();
            job.end(how);
            boolean lost = how == Ending.LEASE_LOST;
            boolean cancelled = how != Ending.COMPLETED; // lost, timed out or abandoned: the handler should stop
            assertThat(job.isLeaseLost()).as("isLeaseLost after %s", how).isEqualTo(lost);
            assertThat(job.isCancelled()).as("isCancelled after %s", how).isEqualTo(cancelled);
        }
    }

    @Test
    void onlyTheFirstEndingCounts() {
        RunningJob job = job();

        assertThat(job.end(Ending.LEASE_LOST)).isTrue();
        assertThat(job.end(Ending.COMPLETED)).as("the handler returned too late to decide").isFalse();

        assertThat(job.ending()).isEqualTo(Ending.LEASE_LOST);
        assertThat(job.isLeaseLost()).isTrue();
    }
}
