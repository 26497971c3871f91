package io.docjobs.internal;

import io.docjobs.Backoff;
import io.docjobs.HandlerOptions;
import io.docjobs.JobConsumer;
import io.docjobs.JobError;
import io.docjobs.Lease;
import io.docjobs.NonRetryableException;
import io.docjobs.ReleaseResult;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What becomes of a claimed job: done, released for a retry after its backoff, dead-lettered,
 * cancelled by an operator, or given back unstarted; each written to the queue, counted and logged once. The callers own the
 * job's slot and its place among the running jobs: nothing here touches either, so an outcome that
 * cannot be written (database down) never strands a slot.
 *
 * <p>A write that fails after the queue's own retries is logged, not thrown: the lease then expires
 * on its own and the job is redelivered (at-least-once).
 */
final class Outcomes {
    private static final Logger log = LoggerFactory.getLogger(Outcomes.class);

    /** Completions sent in one round trip at most: bounds the size of one bulk write and of its reply. */
    static final int MAX_ACK_BATCH = 64;

    private final JobConsumer queue;
    private final Acks acks;
    private final SupervisorMetrics metrics;

    Outcomes(JobConsumer queue, SupervisorMetrics metrics) {
        this.queue = queue;
        this.acks = new Acks(queue, MAX_ACK_BATCH);
        this.metrics = metrics;
    }

    /**
     * Hands in the completion of a job whose handler returned normally while the job was still
     * ours, for the group commit; {@code settled} runs exactly once, after its answer (or failure),
     * on whichever thread sends it. Never blocks for the round trip. {@code lastForNow}: no handler
     * runs or waits, so no other completion is coming soon.
     *
     * @return true if the caller has to send the group commit now: call {@link #sendCompletions()}
     */
    boolean succeeded(RunningJob job, boolean lastForNow, Runnable settled) {
        return acks.offer(job.lease(), (held, error) -> {
            try {
                if (error != null) {
                    couldNotRecord(job, "done", error);
                } else if (held) {
                    metrics.finished(job.lease().type(), SupervisorMetrics.SUCCESS);
                } else {
                    lostOnCompletion(job);
                }
            } finally {
                settled.run();
            }
        }, lastForNow);
    }

    /** Sends the group commit until no completion waits: after {@link #succeeded} returned true. */
    void sendCompletions() {
        acks.sendAll();
    }

    /**
     * Records a handler that threw while its job was still ours: a release for a retry, or a
     * dead letter; then runs {@code settled}, exactly once, whatever fails.
     */
    void failed(RunningJob job, Throwable failure, Runnable settled) {
        try {
            fail(job, failure, SupervisorMetrics.RETRY);
        } catch (RuntimeException e) {
            couldNotRecord(job, "release", e);
        } finally {
            settled.run();
        }
    }

    private void couldNotRecord(RunningJob job, String operation, RuntimeException e) {
        metrics.databaseError(operation);
        log.warn("could not record the outcome of {}: {}; it will be redelivered when its lease expires", job,
                e.toString());
    }

    /** Records a job whose handler ran past {@code timeout}: a failure like any other, counted as a time-out. */
    void timedOut(RunningJob job, Duration timeout) {
        log.warn("{} exceeded its time-out of {}; interrupting its handler and freeing its slot", job, timeout);
        try {
            fail(job, new TimeoutException("job exceeded its time-out of " + timeout), SupervisorMetrics.TIMEOUT);
        } catch (RuntimeException e) {
            metrics.databaseError("release");
            log.warn("could not release timed-out {}: {}; it is redelivered when its lease expires", job, e.toString());
        }
    }

    /** Records a job whose lease a heartbeat found lost while its handler still ran. */
    void lostWhileRunning(RunningJob job) {
        countLeaseLost(job);
        log.warn("{} lost its lease (expired and claimed by another worker, or removed); interrupting its"
                + " handler and discarding its result", job);
    }

    /**
     * Counts and logs a job whose lease deadline passed before the keeper could extend it (the
     * database did not answer in time), as a lost lease.
     */
    void expiredWhileRunning(RunningJob job, Instant now) {
        countLeaseLost(job);
        log.warn("{} lost its lease: its deadline {} passed (now {}) before an extension reached the database;"
                + " another worker may claim it now, so its handler is interrupted and its result discarded", job,
                job.lease().deadline(), now);
    }

    private void countLeaseLost(RunningJob job) {
        metrics.leaseLost(job.lease().type());
        metrics.finished(job.lease().type(), SupervisorMetrics.LEASE_LOST);
    }

    /**
     * Ends a job an operator cancelled while it was claimed: deletes the entry, fenced by its lease
     * like {@code done}, so it is neither retried nor dead-lettered. If the write fails, the lease
     * expires unextended and the next worker to claim the entry finds the request at its first
     * heartbeat.
     */
    void cancelled(RunningJob job) {
        Lease lease = job.lease();
        try {
            if (queue.done(lease)) {
                metrics.finished(lease.type(), SupervisorMetrics.CANCELLED);
                log.info("{} was cancelled by an operator; {} its handler and discarding its result", job,
                        job.hasStarted() ? "interrupting" : "not starting");
            } else {
                lostWhileRunning(job);
            }
        } catch (RuntimeException e) {
            metrics.databaseError("done");
            log.warn("could not end cancelled {}: {}; the next worker to claim it cancels it at its first heartbeat",
                    job, e.toString());
        }
    }

    /**
     * Hands back a job still running when the drain at shutdown ran out. A handler that ran used its
     * attempt (so a handler that never finishes is dead-lettered in the end, and its abandoned run
     * does not share an attempt number with the next); one that never started goes back uncounted.
     */
    void abandoned(RunningJob job, Duration drainTimeout) {
        Lease lease = job.lease();
        try {
            if (!job.hasStarted()) {
                queue.giveBack(lease);
            } else {
                JobError error = JobError.of("still running when its worker shut down (drain time-out "
                        + drainTimeout + "); interrupted and handed back");
                ReleaseResult result = job.isLastAttempt() ? queue.deadLetter(lease, error)
                        : queue.release(lease, Duration.ZERO, error);
                if (result != ReleaseResult.LEASE_LOST) {
                    metrics.finished(lease.type(), SupervisorMetrics.ABANDONED);
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not hand back {}: {}; it is redelivered when its lease expires", job, e.toString());
        }
    }

    /** Hands back a lease that was never started, uncounted; {@code why} goes into the log if that fails. */
    void giveBackQuietly(Lease lease, String why) {
        try {
            queue.giveBack(lease);
        } catch (RuntimeException e) {
            log.warn("could not hand back {} ({}); it is redelivered when its lease expires: {}", lease, why, e.toString());
        }
    }

    /** Releases a failed job for retry after its backoff, or dead-letters it. */
    private void fail(RunningJob job, Throwable failure, String retryOutcome) {
        Lease lease = job.lease();
        HandlerOptions options = job.registration().options();
        JobError error = JobError.of(failure);
        boolean permanent = isNonRetryable(failure, options);
        ReleaseResult result = permanent || job.isLastAttempt() ? queue.deadLetter(lease, error)
                : queue.release(lease, retryDelay(options, lease.attempt()), error);
        switch (result) {
            case RETRY_SCHEDULED -> {
                metrics.finished(lease.type(), retryOutcome);
                log.info("{} failed, will retry: {}", job, error.message());
            }
            case DEAD_LETTERED -> {
                metrics.finished(lease.type(), retryOutcome.equals(SupervisorMetrics.TIMEOUT) ? retryOutcome : SupervisorMetrics.DEAD);
                // A declared non-retryable failure is an expected outcome: its message says it all.
                Object trace = failure instanceof NonRetryableException ? null : failure;
                log.warn("{} failed {}and is dead-lettered: {}", job, permanent ? "permanently " : "on its last attempt ",
                        error.message(), trace);
            }
            case LEASE_LOST -> lostOnCompletion(job);
        }
    }

    /** The wait before retrying after {@code attempt} failed. */
    static Duration retryDelay(HandlerOptions options, int attempt) {
        // A custom backoff may return anything: keep the retry between now and the longest backoff.
        Duration delay = options.backoff().delay(attempt);
        if (delay == null || delay.isNegative()) {
            return Duration.ZERO;
        }
        return delay.compareTo(Backoff.MAX_DELAY) > 0 ? Backoff.MAX_DELAY : delay.truncatedTo(ChronoUnit.MILLIS);
    }

    private void lostOnCompletion(RunningJob job) {
        metrics.leaseLost(job.lease().type());
        metrics.finished(job.lease().type(), SupervisorMetrics.LEASE_LOST);
        log.warn("{} finished but its lease was lost (expired and claimed by another worker); the result is not"
                + " acknowledged and the job may run again", job);
    }

    /** Whether {@code failure} or one of its causes is declared non-retryable. */
    static boolean isNonRetryable(Throwable failure, HandlerOptions options) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof NonRetryableException) {
                return true;
            }
            for (Class<? extends Throwable> type : options.nonRetryable()) {
                if (type.isInstance(t)) {
                    return true;
                }
            }
        }
        return false;
    }
}
