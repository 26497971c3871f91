package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.HandlerOptions;
import io.docjobs.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** One job's life on its worker thread: who may interrupt it, when it may start, which deadline it keeps. */
@Timeout(30)
class RunningJobTest {
    private static final Registration EMAIL = new Registration("email", job -> { }, HandlerOptions.DEFAULTS);
    private final ManualTicker ticker = new ManualTicker();

    private static Lease lease(String token, Instant deadline) {
        return new Lease("65f1c0ffee00000000000001", "email", "x", null, 1, 5, token, "w1", deadline,
                Instant.EPOCH, Instant.EPOCH, Duration.ofSeconds(30), 0);
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
}
