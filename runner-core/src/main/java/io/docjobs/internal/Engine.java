package io.docjobs.internal;

import io.docjobs.HandlerOptions;
import io.docjobs.JobError;
import io.docjobs.JobQueue;
import io.docjobs.Lease;
import io.docjobs.NonRetryableException;
import io.docjobs.ReleaseResult;
import io.docjobs.internal.RunningJob.Ending;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The supervisor's machinery: pollers that claim when slots are free, worker threads that run
 * handlers, and the lease keeper that extends leases and enforces time-outs. Internal: use
 * {@link io.docjobs.Supervisor}.
 */
public final class Engine {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    /** Heartbeats extend a lease once a third of its extension has elapsed: two more chances before expiry. */
    private static final double EXTEND_AFTER_FRACTION = 1.0 / 3.0;
    private static final long KEEPER_MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long KEEPER_MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long ERROR_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** Everything the engine needs, validated by the supervisor's builder. */
    public record Settings(String name, String workerId, int workers, int pollers, int maxBatch, Duration idleMin,
            Duration idleMax, Duration drainTimeout, MeterRegistry registry) {
    }

    private final JobQueue queue;
    private final Settings settings;
    private final Map<String, Registration> registrations = new LinkedHashMap<>();
    private final Slots slots;
    private final Signal slotChanges;
    private final SupervisorMetrics metrics;
    private final Map<RunningJob, Boolean> running = new ConcurrentHashMap<>();
    private final ExecutorService workerPool;
    private final List<Thread> pollerThreads = new ArrayList<>();
    private final Thread keeperThread;
    private final Signal keeperSignal = new Signal();
    private final OutageLog claimOutage;
    private final OutageLog extendOutage;
    private volatile boolean claiming;
    private Runnable stopListening = () -> { };
    private volatile boolean keeping = true;

    public Engine(JobQueue queue, Collection<Registration> handlers, Settings settings) {
        this.queue = queue;
        this.settings = settings;
        handlers.forEach(registration -> registrations.put(registration.type(), registration));
        this.slots = new Slots(settings.workers(), List.copyOf(handlers));
        this.slotChanges = slots.changes();
        this.metrics = new SupervisorMetrics(settings.registry(), queue.name(), registrations.keySet());
        AtomicInteger workerNumber = new AtomicInteger();
        // Threads are made on demand: a handler stuck past its time-out keeps its thread but gives
        // its slot back, so the pool may briefly hold more threads than slots.
        this.workerPool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
                runnable -> daemon(runnable, "docjobs-" + settings.name() + "-worker-" + workerNumber.incrementAndGet()));
        for (int i = 1; i <= settings.pollers(); i++) {
            pollerThreads.add(daemon(this::pollLoop, "docjobs-" + settings.name() + "-poller-" + i));
        }
        this.keeperThread = daemon(this::keeperLoop, "docjobs-" + settings.name() + "-lease-keeper");
        this.claimOutage = new OutageLog(log, "claiming jobs from " + queue.name());
        this.extendOutage = new OutageLog(log, "extending leases on " + queue.name());
    }

    private static Thread daemon(Runnable body, String name) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    public void start() {
        claiming = true;
        // An enqueue through the same queue instance wakes idle pollers at once.
        stopListening = queue.onEnqueue(types -> {
            if (types.isEmpty()) { // "something may have been missed"
                slotChanges.signal();
                return;
            }
            for (String type : types) {
                if (registrations.containsKey(type)) {
                    slotChanges.signal();
                    return;
                }
            }
        });
        keeperThread.start();
        pollerThreads.forEach(Thread::start);
    }

    public int inFlight() {
        return running.size();
    }

    // ------------------------------------------------------------------ polling

    private void pollLoop() {
        int idleRounds = 0;
        while (claiming) {
            long generation = slotChanges.generation();
            try {
                Slots.Reservation reservation = slots.reserve(settings.maxBatch());
                if (reservation.isEmpty()) {
                    slotChanges.awaitChange(generation, idleDelayNanos(idleRounds));
                    continue;
                }
                int claimed;
                try {
                    claimed = claimInto(reservation);
                    claimOutage.succeeded();
                } catch (RuntimeException e) {
                    reservation.releaseUnused();
                    metrics.pollFailed();
                    metrics.databaseError("claim");
                    claimOutage.failed(e);
                    idleRounds = Math.min(idleRounds + 1, 30);
                    slotChanges.awaitChange(slotChanges.generation(), Math.max(idleDelayNanos(idleRounds), ERROR_BACKOFF_NANOS));
                    continue;
                }
                metrics.polled(claimed);
                if (claimed == reservation.total) {
                    idleRounds = 0;
                    continue; // more may be waiting: poll again at once
                }
                idleRounds = claimed > 0 ? 0 : Math.min(idleRounds + 1, 30);
                slotChanges.awaitChange(slotChanges.generation(), idleDelayNanos(idleRounds));
            } catch (InterruptedException e) {
                if (!claiming) {
                    return;
                }
            } catch (RuntimeException | Error e) {
                // A poller must never die: log with context and go on after a pause.
                log.error("poller of supervisor {} hit an unexpected error; continuing", settings.name(), e);
                java.util.concurrent.locks.LockSupport.parkNanos(ERROR_BACKOFF_NANOS);
            }
        }
    }

    /** Idle back-off: doubling from the minimum to the cap, with jitter so a fleet does not poll in step. */
    private long idleDelayNanos(int idleRounds) {
        long min = settings.idleMin().toNanos();
        long max = settings.idleMax().toNanos();
        long delay = idleRounds >= 30 ? max : Math.min(max, min << Math.min(idleRounds, 20));
        return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    }

    private int claimInto(Slots.Reservation reservation) {
        List<Lease> leases = new ArrayList<>();
        try {
            if (!reservation.fullTypes.isEmpty()) {
                leases.addAll(claim(reservation.fullTypes, reservation.total));
            }
            for (Map.Entry<String, Integer> partial : reservation.partialTypes.entrySet()) {
                int room = Math.min(partial.getValue(), reservation.total - leases.size());
                if (room > 0) {
                    leases.addAll(claim(List.of(partial.getKey()), room));
                }
            }
        } finally {
            for (Lease lease : leases) {
                reservation.consume(lease.type());
            }
            reservation.releaseUnused();
        }
        Instant now = queue.now();
        for (Lease lease : leases) {
            metrics.claimed(lease.type(), lease.visibleSince() == null ? null : Duration.between(lease.visibleSince(), now));
            RunningJob job = new RunningJob(queue, registrations.get(lease.type()), lease);
            if (!claiming) {
                giveBackUnstarted(job);
                continue;
            }
            running.put(job, Boolean.TRUE);
            keeperSignal.signal();
            workerPool.execute(() -> run(job));
        }
        return leases.size();
    }

    private List<Lease> claim(List<String> types, int count) {
        return count == 1
                ? queue.claim(types, settings.workerId()).map(List::of).orElse(List.of())
                : queue.claimBatch(types, settings.workerId(), count);
    }

    private void giveBackUnstarted(RunningJob job) {
        try {
            queue.giveBack(job.lease());
        } catch (RuntimeException e) {
            log.warn("could not hand back {} claimed during shutdown; it is redelivered when its lease expires: {}",
                    job, e.toString());
        }
        slots.free(job.lease().type());
    }

    // ------------------------------------------------------------------ running

    private void run(RunningJob job) {
        Lease lease = job.lease();
        String type = lease.type();
        MDC.put("jobId", lease.id());
        MDC.put("jobType", type);
        MDC.put("jobAttempt", String.valueOf(lease.attempt()));
        job.started(Thread.currentThread());
        metrics.started(type);
        Throwable failure = null;
        try {
            job.registration().handler().handle(job);
        } catch (Throwable t) { // an Error in one handler must not take the worker down
            failure = t;
        } finally {
            job.detach();
            Thread.interrupted(); // clear a late interrupt meant for this job
            long nanos = System.nanoTime() - job.startedNanos();
            try {
                if (job.end(Ending.COMPLETED)) {
                    metrics.handlerReturned(type, failure == null ? "success" : "failure", nanos);
                    settle(job, failure);
                } else {
                    metrics.handlerReturned(type, job.ending().name().toLowerCase(java.util.Locale.ROOT), nanos);
                    metrics.stuckChanged(-1);
                    log.debug("{} returned after it ended as {}; its result is discarded", job, job.ending());
                }
            } finally {
                MDC.remove("jobId");
                MDC.remove("jobType");
                MDC.remove("jobAttempt");
            }
        }
    }

    /** Applies the outcome of a handler that returned while its job was still ours. */
    private void settle(RunningJob job, Throwable failure) {
        Lease lease = job.lease();
        String type = lease.type();
        try {
            if (failure == null) {
                if (queue.done(lease)) {
                    metrics.finished(type, SupervisorMetrics.SUCCESS);
                } else {
                    lostOnCompletion(job);
                }
                return;
            }
            fail(job, failure, SupervisorMetrics.RETRY);
        } catch (RuntimeException e) {
            // The queue retried already; the lease now expires on its own and the job is redelivered.
            metrics.databaseError(failure == null ? "done" : "release");
            log.warn("could not record the outcome of {}: {}; it will be redelivered when its lease expires", job,
                    e.toString());
        } finally {
            running.remove(job);
            slots.free(type);
            keeperSignal.signal();
        }
    }

    private void lostOnCompletion(RunningJob job) {
        metrics.leaseLost(job.lease().type());
        metrics.finished(job.lease().type(), SupervisorMetrics.LEASE_LOST);
        log.warn("{} finished but its lease was lost (expired and claimed by another worker); the result is not"
                + " acknowledged and the job may run again", job);
    }

    /** Releases a failed job for retry after its backoff, or dead-letters it. */
    private void fail(RunningJob job, Throwable failure, String retryOutcome) {
        Lease lease = job.lease();
        HandlerOptions options = job.registration().options();
        JobError error = JobError.of(failure);
        boolean permanent = isNonRetryable(failure, options);
        boolean lastAttempt = lease.isLastAttempt() || options.maxAttempts() != null && lease.attempt() >= options.maxAttempts();
        ReleaseResult result;
        if (permanent || lastAttempt) {
            result = queue.deadLetter(lease, error);
        } else {
            Duration delay = Duration.ofMillis(Math.max(0, options.backoff().apply(lease.attempt())));
            result = queue.release(lease, delay, error);
        }
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

    private static boolean isNonRetryable(Throwable failure, HandlerOptions options) {
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

    // ------------------------------------------------------------------ lease keeper

    private void keeperLoop() {
        while (keeping) {
            long generation = keeperSignal.generation();
            long waitNanos;
            try {
                waitNanos = keepOnce();
                extendOutage.succeeded();
            } catch (RuntimeException e) {
                metrics.databaseError("extend");
                extendOutage.failed(e);
                waitNanos = ERROR_BACKOFF_NANOS;
            } catch (Error e) {
                log.error("lease keeper of supervisor {} hit an unexpected error; continuing", settings.name(), e);
                waitNanos = ERROR_BACKOFF_NANOS;
            }
            try {
                keeperSignal.awaitChange(generation, waitNanos);
            } catch (InterruptedException e) {
                if (!keeping) {
                    return;
                }
            }
        }
    }

    /** One heartbeat: time-outs, then extensions due; returns how long until the next thing is due. */
    long keepOnce() {
        long nowNanos = System.nanoTime();
        long nextNanos = KEEPER_MAX_WAIT_NANOS;
        for (RunningJob job : running.keySet()) {
            Duration timeout = job.registration().options().timeout();
            if (timeout != null && job.isRunning()) {
                long left = timeout.toNanos() - (nowNanos - job.startedNanos());
                if (left <= 0) {
                    timeOut(job, timeout);
                } else {
                    nextNanos = Math.min(nextNanos, left);
                }
            }
        }
        Instant now = queue.now();
        Map<Duration, List<RunningJob>> due = new LinkedHashMap<>();
        List<Upcoming> upcoming = new ArrayList<>();
        for (RunningJob job : running.keySet()) {
            if (!job.isRunning()) {
                continue;
            }
            Duration extension = job.leaseExtension();
            Instant extendAt = job.lease().deadline().minus(extension.multipliedBy(2).dividedBy(3));
            long untilNanos = Duration.between(now, extendAt).toNanos();
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
                if (next.extension().equals(extension) && next.untilNanos() <= extension.toNanos() / 6) {
                    group.getValue().add(next.job());
                    riding.add(next.job());
                }
            }
            extend(group.getValue(), extension);
            nextNanos = Math.min(nextNanos, (long) (extension.toNanos() * EXTEND_AFTER_FRACTION));
        }
        for (Upcoming next : upcoming) {
            if (!riding.contains(next.job())) {
                nextNanos = Math.min(nextNanos, next.untilNanos());
            }
        }
        return Math.max(KEEPER_MIN_WAIT_NANOS, nextNanos);
    }

    /** A running job whose next extension is not due yet, and how long until it is. */
    private record Upcoming(RunningJob job, Duration extension, long untilNanos) {
    }

    private void extend(List<RunningJob> jobs, Duration extension) {
        Map<String, RunningJob> byToken = new LinkedHashMap<>();
        List<Lease> leases = new ArrayList<>();
        for (RunningJob job : jobs) {
            byToken.put(job.lease().id() + "/" + job.lease().token(), job);
            leases.add(job.lease());
        }
        io.docjobs.Extension result = queue.extendAll(leases, extension);
        metrics.extended(result.extended().size());
        for (Lease renewed : result.extended()) {
            byToken.get(renewed.id() + "/" + renewed.token()).renewed(renewed);
        }
        for (Lease lost : result.lost()) {
            RunningJob job = byToken.get(lost.id() + "/" + lost.token());
            if (job.end(Ending.LEASE_LOST)) {
                job.interrupt();
                metrics.stuckChanged(1);
                metrics.leaseLost(lost.type());
                metrics.finished(lost.type(), SupervisorMetrics.LEASE_LOST);
                log.warn("{} lost its lease (expired and claimed by another worker, or removed); interrupting its"
                        + " handler and discarding its result", job);
                running.remove(job);
                slots.free(lost.type());
            }
        }
    }

    private void timeOut(RunningJob job, Duration timeout) {
        if (!job.end(Ending.TIMED_OUT)) {
            return;
        }
        job.interrupt();
        metrics.stuckChanged(1);
        log.warn("{} exceeded its time-out of {}; interrupting its handler and freeing its slot", job, timeout);
        try {
            fail(job, new TimeoutException("job exceeded its time-out of " + timeout), SupervisorMetrics.TIMEOUT);
        } catch (RuntimeException e) {
            metrics.databaseError("release");
            log.warn("could not release timed-out {}: {}; it is redelivered when its lease expires", job, e.toString());
        } finally {
            running.remove(job);
            slots.free(job.lease().type());
        }
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Stops claiming, waits up to the drain time-out for running jobs, then interrupts the rest
     * and hands their leases back at once so other workers can take them without waiting for
     * expiry. The lease keeper stops last, so draining jobs keep their leases.
     */
    public void stop() {
        claiming = false;
        stopListening.run();
        slotChanges.signal();
        // Pollers are woken, not interrupted: an interrupt in the middle of a claim could make the
        // driver drop a reply the server already acted on, stranding the entry until its lease
        // expires. A claim that completes after this point hands its leases straight back.
        for (Thread poller : pollerThreads) {
            joinQuietly(poller, Duration.ofSeconds(60));
        }
        long drainUntil = System.nanoTime() + settings.drainTimeout().toNanos();
        while (!running.isEmpty() && System.nanoTime() < drainUntil) {
            try {
                slotChanges.awaitChange(slotChanges.generation(), Math.min(drainUntil - System.nanoTime(), KEEPER_MAX_WAIT_NANOS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (!running.isEmpty()) {
            log.warn("supervisor {}: {} jobs still running after the drain time-out of {}; interrupting them and"
                    + " handing their leases back", settings.name(), running.size(), settings.drainTimeout());
            for (RunningJob job : List.copyOf(running.keySet())) {
                abandon(job);
            }
        }
        keeping = false;
        keeperSignal.signal();
        keeperThread.interrupt();
        joinQuietly(keeperThread, Duration.ofSeconds(10));
        workerPool.shutdownNow();
    }

    private void abandon(RunningJob job) {
        if (!job.end(Ending.ABANDONED)) {
            return;
        }
        job.interrupt();
        metrics.stuckChanged(1);
        try {
            if (queue.giveBack(job.lease())) {
                metrics.finished(job.lease().type(), SupervisorMetrics.ABANDONED);
            }
        } catch (RuntimeException e) {
            log.warn("could not hand back {}: {}; it is redelivered when its lease expires", job, e.toString());
        } finally {
            running.remove(job);
            slots.free(job.lease().type());
        }
    }

    private static void joinQuietly(Thread thread, Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
