package io.docjobs.internal;

import io.docjobs.ExtensionResult;
import io.docjobs.JobConsumer;
import io.docjobs.Lease;
import io.docjobs.internal.RunningJob.Ending;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the leases of running jobs alive and enforces handler time-outs: one thread that wakes
 * when the next extension or time-out is due (at least once a second), extends the leases due in
 * one round trip, interrupts the handlers of jobs whose lease was lost or whose cancellation an
 * operator requested (ending the latter as cancelled), and fails the jobs that ran past their
 * time-out. A lease whose deadline passed unextended (the database did not answer: an outage, a
 * partition) is lost too, without waiting for a reply: another worker may claim it from then on.
 */
final class LeaseKeeper {
    private static final Logger log = LoggerFactory.getLogger(LeaseKeeper.class);
    static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final JobConsumer queue;
    private final String supervisorName;
    private final Ticker ticker;
    private final Workers workers;
    private final Outcomes outcomes;
    private final Signal signal;
    private final KeeperAlarm alarm;
    private final SupervisorMetrics metrics;
    private final OutageLog extendOutage;
    /**
     * Runs the extension calls, so that a call the database does not answer (a partition: bytes
     * lost until the socket time-out, then retries) cannot keep the keeper from the deadlines.
     */
    private final ThreadPoolExecutor extender;
    /** An extension call still unanswered when the keeper stopped waiting for it; keeper thread only. */
    private Call pending;
    /** When the keeper last began a round (ticker time): liveness without the database. */
    private volatile long lastBeat;
    private volatile boolean keeping = true;

    /**
     * @param signal wakes the keeper early: a job due before its next look (see {@code alarm}), or
     *               the keeper is to stop
     * @param alarm  told when the keeper looks next, so only jobs due sooner wake it
     */
    LeaseKeeper(JobConsumer queue, String supervisorName, Ticker ticker, Workers workers, Outcomes outcomes,
            Signal signal, KeeperAlarm alarm, SupervisorMetrics metrics) {
        this.queue = queue;
        this.supervisorName = supervisorName;
        this.ticker = ticker;
        this.workers = workers;
        this.outcomes = outcomes;
        this.signal = signal;
        this.alarm = alarm;
        this.metrics = metrics;
        this.extendOutage = new OutageLog(log, "extending leases on " + queue.name());
        this.extender = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), body -> {
            Thread thread = new Thread(body, "docjobs-" + supervisorName + "-lease-extender");
            thread.setDaemon(true);
            return thread;
        });
        extender.allowCoreThreadTimeOut(true);
    }

    /** An extension call and the jobs whose leases it extends, by lease id and token. */
    private record Call(Future<ExtensionResult> result, Map<String, RunningJob> byToken) {
    }

    long lastBeat() {
        return lastBeat;
    }

    void beatAt(long nanos) {
        lastBeat = nanos;
    }

    /** Ends {@link #loop()} once it wakes; the caller interrupts and joins the thread, then calls {@link #close()}. */
    void stop() {
        keeping = false;
        signal.signal();
    }

    /** Ends the extension thread, interrupting a call the database has not answered. */
    void close() {
        extender.shutdownNow();
    }

    /** The body of the keeper thread: heartbeats until {@link #stop()}; never dies of an error. */
    void loop() {
        while (keeping) {
            long generation = signal.generation();
            lastBeat = ticker.nanos();
            alarm.looking();
            long waitNanos;
            try {
                waitNanos = keepOnce();
                extendOutage.succeeded();
            } catch (RuntimeException e) {
                metrics.databaseError("extend");
                extendOutage.failed(e);
                waitNanos = Poller.ERROR_BACKOFF_NANOS;
            } catch (Error e) {
                log.error("lease keeper of supervisor {} hit an unexpected error; continuing", supervisorName, e);
                waitNanos = Poller.ERROR_BACKOFF_NANOS;
            }
            alarm.nextLookIn(waitNanos);
            try {
                signal.awaitChange(generation, waitNanos);
            } catch (InterruptedException e) {
                if (!keeping) {
                    return;
                }
            }
        }
    }

    /**
     * One heartbeat: time-outs, leases whose deadline passed unextended, then the extensions due;
     * returns how long until the next thing is due. A failing extension of one group of leases does
     * not keep the others from theirs; the first failure is rethrown at the end for the outage log.
     * The keeper waits for an extension call until the earliest deadline among its leases at most;
     * while that call stays unanswered no other is made, and the leases lapse at their deadlines.
     */
    long keepOnce() {
        long nowNanos = ticker.nanos();
        long nextNanos = MAX_WAIT_NANOS;
        for (RunningJob job : workers.running()) {
            Duration timeout = job.registration().options().timeout();
            if (timeout != null && job.isRunning() && job.isDispatched()) {
                long left = Nanos.saturatedSub(Nanos.of(timeout), nowNanos - job.startedNanos());
                if (left <= 0) {
                    timeOut(job, timeout);
                } else {
                    nextNanos = Math.min(nextNanos, left);
                }
            }
        }
        RuntimeException firstFailure = collectPending();
        if (workers.inFlight() == 0) {
            if (firstFailure != null) {
                throw firstFailure;
            }
            return nextNanos;
        }
        Instant now = queue.now();
        alarm.sawDatabaseTime(now);
        for (RunningJob job : workers.running()) {
            if (job.isRunning() && !now.isBefore(job.lease().deadline())) {
                expired(job, now);
            }
        }
        if (pending != null) {
            if (firstFailure != null) {
                throw firstFailure;
            }
            return Math.max(MIN_WAIT_NANOS, Math.min(nextNanos, untilEarliestDeadline(now)));
        }
        Map<Duration, List<RunningJob>> due = new LinkedHashMap<>();
        List<Upcoming> upcoming = new ArrayList<>();
        for (RunningJob job : workers.running()) {
            if (!job.isRunning()) {
                continue;
            }
            Duration extension = job.leaseExtension();
            long untilNanos = Nanos.of(Duration.between(now, extendAt(job)));
            if (untilNanos <= 0) {
                due.computeIfAbsent(extension, e -> new ArrayList<>()).add(job);
            } else {
                upcoming.add(new Upcoming(job, extension, untilNanos));
            }
        }
        // Leases claimed at slightly different times would each need their own round trip; when a
        // round trip is made anyway, leases within a sixth of their own due time ride along, so
        // all in-flight leases converge on one extendAll per heartbeat.
        Set<RunningJob> riding = new HashSet<>();
        for (Map.Entry<Duration, List<RunningJob>> group : due.entrySet()) {
            Duration extension = group.getKey();
            for (Upcoming next : upcoming) {
                if (next.extension().equals(extension) && next.untilNanos() <= Nanos.of(extension) / 6) {
                    group.getValue().add(next.job());
                    riding.add(next.job());
                }
            }
            if (pending != null) {
                // An earlier group's call is still unanswered: this one waits for the next round.
                nextNanos = Math.min(nextNanos, Math.min(Poller.ERROR_BACKOFF_NANOS, untilEarliestDeadline(now)));
                continue;
            }
            try {
                extend(group.getValue(), extension, now);
                nextNanos = Math.min(nextNanos, pending != null ? untilEarliestDeadline(now) : Nanos.of(extension) / 3);
            } catch (RuntimeException e) {
                firstFailure = firstFailure == null ? e : firstFailure;
                nextNanos = Math.min(nextNanos, Poller.ERROR_BACKOFF_NANOS);
            }
        }
        for (Upcoming next : upcoming) {
            if (!riding.contains(next.job())) {
                nextNanos = Math.min(nextNanos, next.untilNanos());
            }
        }
        if (firstFailure != null) {
            throw firstFailure;
        }
        return Math.max(MIN_WAIT_NANOS, nextNanos);
    }

    /** When the lease of {@code job} is due for extension: once a third of the extension has passed, two more chances before expiry. */
    static Instant extendAt(RunningJob job) {
        return job.lease().deadline().minus(job.leaseExtension().multipliedBy(2).dividedBy(3));
    }

    /** A running job whose next extension is not due yet, and how long until it is. */
    private record Upcoming(RunningJob job, Duration extension, long untilNanos) {
    }

    /** How long from {@code now} until the earliest lease deadline of a running job, at least {@link #MIN_WAIT_NANOS}. */
    private long untilEarliestDeadline(Instant now) {
        long earliest = MAX_WAIT_NANOS;
        for (RunningJob job : workers.running()) {
            if (job.isRunning()) {
                earliest = Math.min(earliest, Nanos.of(Duration.between(now, job.lease().deadline())));
            }
        }
        return Math.max(MIN_WAIT_NANOS, earliest);
    }

    /**
     * Extends {@code jobs}' leases in one call, waiting for its answer until the earliest of their
     * deadlines; a call still unanswered then stays {@link #pending} and its leases lapse.
     */
    private void extend(List<RunningJob> jobs, Duration extension, Instant now) {
        Map<String, RunningJob> byToken = new LinkedHashMap<>();
        List<Lease> leases = new ArrayList<>();
        Instant earliest = null;
        for (RunningJob job : jobs) {
            byToken.put(job.lease().id() + "/" + job.lease().token(), job);
            leases.add(job.lease());
            earliest = earliest == null || job.lease().deadline().isBefore(earliest) ? job.lease().deadline() : earliest;
        }
        Future<ExtensionResult> call = extender.submit(() -> queue.extendAll(leases, extension));
        ExtensionResult result;
        try {
            result = call.get(Math.max(0, Nanos.of(Duration.between(now, earliest))), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt(); // stopping: the loop sees it at its wait
            }
            pending = new Call(call, byToken);
            return;
        } catch (ExecutionException e) {
            throw unchecked(e.getCause());
        }
        apply(result, byToken);
    }

    /**
     * Takes the answer of a {@link #pending} call once it came: its renewals and losses count as
     * usual (a renewal of a lease that already lapsed here changes nothing: its job has ended, and
     * the entry is claimable again after the new deadline); its failure is returned.
     */
    private RuntimeException collectPending() {
        if (pending == null || !pending.result().isDone()) {
            return null;
        }
        Call call = pending;
        pending = null;
        try {
            apply(call.result().get(), call.byToken());
            return null;
        } catch (ExecutionException e) {
            return unchecked(e.getCause());
        } catch (InterruptedException | CancellationException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static RuntimeException unchecked(Throwable failure) {
        if (failure instanceof Error error) {
            throw error;
        }
        return failure instanceof RuntimeException runtime ? runtime : new IllegalStateException(failure);
    }

    private void apply(ExtensionResult result, Map<String, RunningJob> byToken) {
        metrics.extended(result.extended().size());
        for (Lease renewed : result.extended()) {
            byToken.get(renewed.id() + "/" + renewed.token()).renewed(renewed);
        }
        for (Lease lost : result.lost()) {
            RunningJob job = byToken.get(lost.id() + "/" + lost.token());
            end(job, Ending.LEASE_LOST, () -> outcomes.lostWhileRunning(job));
        }
        for (Lease cancelled : result.cancelRequested()) {
            RunningJob job = byToken.get(cancelled.id() + "/" + cancelled.token());
            // The interrupt comes before the write: the handler stops as soon as it can, and its result
            // is discarded whatever it returns, since the job has ended. A job claimed ahead never starts.
            end(job, Ending.CANCELLED, () -> outcomes.cancelled(job));
        }
    }

    /**
     * Ends a job whose lease deadline passed before an extension got through: the lease is no
     * longer the handler's, whether or not another worker has claimed the entry yet, so the
     * handler is interrupted and sees {@code isCancelled()}, and its result will be discarded.
     * Nothing is written: the entry is claimable once its deadline passed.
     */
    private void expired(RunningJob job, Instant now) {
        end(job, Ending.LEASE_LOST, () -> outcomes.expiredWhileRunning(job, now));
    }

    private void timeOut(RunningJob job, Duration timeout) {
        end(job, Ending.TIMED_OUT, () -> outcomes.timedOut(job, timeout));
    }

    /**
     * Ends {@code job} as {@code ending} unless it has ended already: interrupts its handler, has
     * {@code outcome} count, log or write what happened, and frees the job's slot whatever that does.
     */
    private void end(RunningJob job, Ending ending, Runnable outcome) {
        if (!job.end(ending)) {
            return;
        }
        job.interrupt();
        try {
            outcome.run();
        } finally {
            workers.releaseSlotOfEnded(job);
        }
    }
}
