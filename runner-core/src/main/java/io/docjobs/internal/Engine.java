package io.docjobs.internal;

import io.docjobs.HandlerOptions;
import io.docjobs.JobError;
import io.docjobs.JobQueue;
import io.docjobs.Lease;
import io.docjobs.NonRetryableException;
import io.docjobs.ReleaseResult;
import io.docjobs.internal.RunningJob.Ending;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
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
 *
 * <p>Tests step it by hand: {@link #startStepping()} arms it without threads, then
 * {@link #pollOnce()} runs one claim round and {@link #keepOnce()} one heartbeat, with time from
 * the {@link Ticker} and handlers run on the given {@link Executor}.
 */
public final class Engine {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);
    private static final long KEEPER_MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long KEEPER_MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long ERROR_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int MAX_IDLE_ROUNDS = 30;
    /** Consecutive failed polls after which the supervisor reports itself unhealthy. */
    static final int UNHEALTHY_AFTER_FAILED_POLLS = 3;

    /** Everything the engine needs, validated by the supervisor's builder. */
    public record Settings(String name, String workerId, int workers, int pollers, int maxBatch, Duration idleMin,
            Duration idleMax, Duration drainTimeout, MeterRegistry registry, ObservationRegistry observations) {
    }

    /** What one poll round did: slots reserved, leases claimed and started; or that it failed. */
    record Poll(int reserved, int claimed, int started, boolean failed, boolean limitedByType) {
        static final Poll NO_ROOM = new Poll(0, 0, 0, false, false);

        boolean noRoom() {
            return reserved == 0 && !failed;
        }
    }

    private final JobQueue queue;
    private final Settings settings;
    private final Ticker ticker;
    private final Map<String, Registration> registrations = new LinkedHashMap<>();
    private final Slots slots;
    private final Wakeups wakeups = new Wakeups();
    private final SupervisorMetrics metrics;
    private final Map<RunningJob, Boolean> running = new ConcurrentHashMap<>();
    private final Executor workerPool;
    private final ExecutorService ownedPool;
    /** Handler threads that may run on after their job ended (stuck) while their slot is reused. */
    private final int stuckAllowance;
    private final AtomicInteger stuckWithFreedSlot = new AtomicInteger();
    private final List<Thread> pollerThreads = new ArrayList<>();
    private final Thread keeperThread;
    private final Signal keeperSignal = new Signal();
    /** Signalled on every freed slot, for the drain at shutdown (pollers use {@link #wakeups}). */
    private final Signal slotFreed = new Signal();
    private final OutageLog claimOutage;
    private final OutageLog extendOutage;
    private final AtomicInteger failedPollsInARow = new AtomicInteger();
    /** When a poller and the keeper last began a round (ticker time): liveness without the database. */
    private volatile long lastPollerBeat;
    private volatile long lastKeeperBeat;
    private volatile boolean claiming;
    private Runnable stopListening = () -> { };
    private volatile boolean keeping = true;

    public Engine(JobQueue queue, Collection<Registration> handlers, Settings settings) {
        this(queue, handlers, settings, Ticker.SYSTEM, null);
    }

    /**
     * @param workerPool where handlers run; null for the engine's own pool of at most
     *                   {@code 2 × workers} threads (workers plus as many stuck handlers)
     */
    Engine(JobQueue queue, Collection<Registration> handlers, Settings settings, Ticker ticker, Executor workerPool) {
        this.queue = queue;
        this.settings = settings;
        this.ticker = ticker;
        handlers.forEach(registration -> registrations.put(registration.type(), registration));
        this.slots = new Slots(settings.workers(), List.copyOf(handlers));
        this.metrics = new SupervisorMetrics(settings.registry(), queue.name(), registrations.keySet());
        this.stuckAllowance = settings.workers();
        if (workerPool == null) {
            AtomicInteger workerNumber = new AtomicInteger();
            // Threads are made on demand, bounded: a handler stuck past its time-out keeps its
            // thread while its slot is reused, up to stuckAllowance of them; beyond that a stuck
            // handler keeps its slot, so the pool never needs more threads than it has.
            int threads = settings.workers() + stuckAllowance;
            // A queue in front of the threads: a job whose slot was freed a moment before its old
            // thread went back to the pool waits for that thread instead of being rejected. Its
            // length is bounded by the slots, and threads end after a minute idle.
            ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), runnable -> daemon(runnable,
                            "docjobs-" + settings.name() + "-worker-" + workerNumber.incrementAndGet()));
            pool.allowCoreThreadTimeOut(true);
            this.ownedPool = pool;
            this.workerPool = pool;
        } else {
            this.ownedPool = null;
            this.workerPool = workerPool;
        }
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
        lastPollerBeat = ticker.nanos();
        lastKeeperBeat = lastPollerBeat;
        startStepping();
        keeperThread.start();
        pollerThreads.forEach(Thread::start);
    }

    /** Arms the engine without starting its threads: the caller drives {@link #pollOnce} and {@link #keepOnce}. */
    void startStepping() {
        claiming = true;
        // An enqueue through the same queue instance wakes idle pollers at once.
        stopListening = queue.onEnqueue(types -> {
            if (types.isEmpty()) { // "something may have been missed"
                wakeups.work();
                return;
            }
            for (String type : types) {
                if (registrations.containsKey(type)) {
                    wakeups.work();
                    return;
                }
            }
        });
    }

    public int inFlight() {
        return running.size();
    }

    /**
     * Whether claiming works: false after {@value #UNHEALTHY_AFTER_FAILED_POLLS} failed polls in a
     * row (database down, or every claim failing), true again after the next poll that works.
     */
    public boolean pollsSucceeding() {
        return failedPollsInARow.get() < UNHEALTHY_AFTER_FAILED_POLLS;
    }

    /**
     * Whether the engine's own loops are alive: every poller and the lease keeper thread runs and
     * began a round within {@code stall}. No database call: a database outage slows rounds down
     * (each failing call takes up to the operation time-out, times the retries) but does not stop
     * them, so a liveness probe built on this does not restart workers during an outage.
     */
    public boolean loopsAlive(Duration stall) {
        if (!claiming || !keeperThread.isAlive() || pollerThreads.stream().anyMatch(thread -> !thread.isAlive())) {
            return false;
        }
        long now = ticker.nanos();
        long limit = nanos(stall);
        return now - lastPollerBeat <= limit && now - lastKeeperBeat <= limit;
    }

    // ------------------------------------------------------------------ polling

    private void pollLoop() {
        int idleRounds = 0;
        while (claiming) {
            Wakeups.Seen seen = wakeups.seen();
            lastPollerBeat = ticker.nanos();
            try {
                Poll poll = pollOnce();
                Pause pause = pauseAfter(poll, idleRounds);
                idleRounds = pause.idleRounds();
                if (pause.nanos() > 0) {
                    wakeups.await(seen, pause.onWork(), pause.onCapacity(), pause.nanos());
                }
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

    /**
     * How a poller waits after a round: at most {@code nanos}, woken early by new work and/or by
     * a freed slot; {@code idleRounds} is the back-off state for the next round.
     */
    record Pause(long nanos, boolean onWork, boolean onCapacity, int idleRounds) {
    }

    /** The wait after {@code poll}: only what could change the next round's result may cut it short. */
    Pause pauseAfter(Poll poll, int idleRounds) {
        if (poll.noRoom()) {
            // Only a freed slot can change this; frees always wake, the timer is a safety net.
            return new Pause(nanos(settings.idleMax()), false, true, idleRounds);
        }
        if (poll.failed() || poll.started() < poll.claimed()) {
            // A failing database, or leases that could not start (no thread): back off on the
            // timer alone, or the next round fails again at once, or claims the same entries back.
            int rounds = Math.min(idleRounds + 1, MAX_IDLE_ROUNDS);
            return new Pause(Math.max(idleDelayNanos(rounds), ERROR_BACKOFF_NANOS), false, false, rounds);
        }
        if (poll.claimed() == poll.reserved()) {
            return new Pause(0, false, false, 0); // more may be waiting: poll again at once
        }
        // The queue had no more for these slots: wait for new work, or for a freed slot of a type
        // its limit held back.
        int rounds = poll.claimed() > 0 ? 0 : Math.min(idleRounds + 1, MAX_IDLE_ROUNDS);
        return new Pause(idleDelayNanos(rounds), true, poll.limitedByType(), rounds);
    }

    /**
     * Idle back-off: doubling from the minimum to the cap, with jitter so a fleet does not poll in
     * step. Saturating: any minimum, cap and round count give a delay between them.
     */
    long idleDelayNanos(int idleRounds) {
        long min = nanos(settings.idleMin());
        long max = Math.max(min, nanos(settings.idleMax()));
        long delay = min;
        for (int round = 0; round < idleRounds && delay < max; round++) {
            delay = delay > max / 2 ? max : delay * 2;
        }
        return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    }

    /** A duration in nanoseconds, saturating at {@link Long#MAX_VALUE} instead of overflowing. */
    static long nanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /**
     * One claim round: reserve free slots, claim up to that many entries in one call, start each
     * lease on a worker or hand it back. Every lease the queue returned is started or given back,
     * and every reserved slot is used by a started job or returned, whatever fails.
     */
    Poll pollOnce() {
        Slots.Reservation reservation = slots.reserve(settings.maxBatch());
        if (reservation.isEmpty()) {
            return Poll.NO_ROOM;
        }
        List<Lease> leases;
        try {
            leases = claim(reservation);
        } catch (RuntimeException e) {
            reservation.releaseUnused();
            failedPollsInARow.incrementAndGet();
            metrics.pollFailed();
            metrics.databaseError("claim");
            claimOutage.failed(e);
            return new Poll(reservation.total, 0, 0, true, false);
        }
        failedPollsInARow.set(0);
        claimOutage.succeeded();
        int started = 0;
        try {
            Instant now = leases.isEmpty() ? null : queue.now();
            for (Lease lease : leases) {
                if (startOrGiveBack(lease, reservation, now)) {
                    started++;
                }
            }
        } finally {
            reservation.releaseUnused();
        }
        metrics.polled(leases.size());
        return new Poll(reservation.total, leases.size(), started, false, heldBackByLimits(reservation, leases));
    }

    /**
     * Whether a type limit may have kept this round from claiming more: a handled type had no
     * room at all, or a limited type got as many as its room. Only then can a freed slot help a
     * poller that found the queue otherwise drained.
     */
    private boolean heldBackByLimits(Slots.Reservation reservation, List<Lease> leases) {
        if (reservation.room().size() < registrations.size()) {
            return true;
        }
        Map<String, Integer> claimed = new HashMap<>();
        leases.forEach(lease -> claimed.merge(lease.type(), 1, Integer::sum));
        for (Map.Entry<String, Integer> room : reservation.room().entrySet()) {
            if (room.getValue() < reservation.total && claimed.getOrDefault(room.getKey(), 0) >= room.getValue()) {
                return true;
            }
        }
        return false;
    }

    private List<Lease> claim(Slots.Reservation reservation) {
        if (reservation.total == 1) {
            return queue.claim(reservation.room().keySet(), settings.workerId()).map(List::of).orElse(List.of());
        }
        return queue.claimBatch(reservation.room(), settings.workerId(), reservation.total);
    }

    /** Starts {@code lease} on a worker in one of the round's slots; otherwise hands it back. Never throws. */
    private boolean startOrGiveBack(Lease lease, Slots.Reservation reservation, Instant now) {
        String type = lease.type();
        Registration registration = registrations.get(type);
        if (registration == null || !reservation.take(type)) {
            log.error("the queue returned {} beyond what was asked for (type \"{}\"); handing it back unstarted",
                    lease, type);
            giveBackQuietly(lease, "it was not asked for");
            return false;
        }
        RunningJob job = new RunningJob(queue, registration, lease, ticker);
        try {
            if (!claiming) {
                job.end(Ending.ABANDONED);
                job.releaseSlot();
                giveBackQuietly(lease, "it was claimed during shutdown");
                freeSlot(type);
                return false;
            }
            metrics.claimed(type, lease.visibleSince() == null || now == null ? null
                    : Duration.between(lease.visibleSince(), now));
            running.put(job, Boolean.TRUE);
            workerPool.execute(() -> run(job));
            keeperSignal.signal();
            return true;
        } catch (RuntimeException | Error e) { // RejectedExecutionException; OutOfMemoryError: no native thread
            running.remove(job);
            if (job.end(Ending.ABANDONED) && job.releaseSlot()) {
                log.error("could not start a worker for {} ({} handler threads stuck past their jobs); handing it back"
                        + " unstarted", job, stuckWithFreedSlot.get(), e);
                giveBackQuietly(lease, "no worker could start it");
                freeSlot(type);
            }
            return false;
        }
    }

    private void giveBackQuietly(Lease lease, String why) {
        try {
            queue.giveBack(lease);
        } catch (RuntimeException e) {
            log.warn("could not hand back {} ({}); it is redelivered when its lease expires: {}", lease, why, e.toString());
        }
    }

    private void freeSlot(String type) {
        slots.free(type);
        wakeups.capacity();
        slotFreed.signal();
    }

    /**
     * A job ended while its handler may still be running (time-out, lost lease, abandoned). Its
     * slot is reused at once while fewer than {@code stuckAllowance} handlers are stuck; beyond
     * that the slot stays taken until the handler returns, so threads stay bounded.
     */
    private void releaseSlotOfEnded(RunningJob job) {
        running.remove(job);
        if (!job.hasStarted()) {
            if (job.releaseSlot()) {
                freeSlot(job.lease().type()); // no handler ran: nothing can be stuck
            }
            return;
        }
        if (stuckWithFreedSlot.incrementAndGet() <= stuckAllowance) {
            metrics.stuckChanged(1); // before the slot goes: the handler's return undoes it
            if (job.releaseSlot()) {
                freeSlot(job.lease().type());
                return;
            }
            metrics.stuckChanged(-1); // the handler returned meanwhile and freed it
            stuckWithFreedSlot.decrementAndGet();
            return;
        }
        stuckWithFreedSlot.decrementAndGet();
        if (!job.slotReleased()) {
            log.warn("{} handler threads are stuck past their jobs; {} keeps its slot until its handler returns",
                    stuckAllowance, job);
        }
    }

    // ------------------------------------------------------------------ running

    private void run(RunningJob job) {
        Lease lease = job.lease();
        String type = lease.type();
        if (!job.start(Thread.currentThread())) {
            return; // ended before a thread reached it; whoever ended it took care of lease and slot
        }
        MDC.put("jobId", lease.id());
        MDC.put("jobType", type);
        MDC.put("jobAttempt", String.valueOf(lease.attempt()));
        if (lease.traceparent() != null) {
            // The handler's span is a child in the producer's trace: same trace id, tracer or not.
            MDC.put("traceId", lease.traceparent().substring(3, 35));
        }
        metrics.started(type);
        Throwable failure = null;
        Observation observation = Observation.createNotStarted(JobObservationContext.NAME,
                () -> new JobObservationContext(lease, queue.name()), settings.observations()).start();
        try (Observation.Scope scope = observation.openScope()) {
            job.registration().handler().handle(job);
        } catch (Throwable t) { // an Error in one handler must not take the worker down
            failure = t;
            observation.error(t);
        } finally {
            observation.stop();
            job.detach();
            Thread.interrupted(); // clear an interrupt meant for this job that came before detach
            long nanos = ticker.nanos() - job.startedNanos();
            try {
                if (job.end(Ending.COMPLETED)) {
                    metrics.handlerReturned(type, failure == null ? "success" : "failure", nanos);
                    settle(job, failure);
                } else {
                    metrics.handlerReturned(type, job.ending().name().toLowerCase(java.util.Locale.ROOT), nanos);
                    if (job.releaseSlot()) {
                        freeSlot(type); // returned before its ender freed the slot, or kept it as one stuck too many
                    } else {
                        stuckWithFreedSlot.decrementAndGet();
                        metrics.stuckChanged(-1);
                    }
                    log.debug("{} returned after it ended as {}; its result is discarded", job, job.ending());
                }
            } finally {
                MDC.remove("jobId");
                MDC.remove("jobType");
                MDC.remove("jobAttempt");
                MDC.remove("traceId");
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
            if (job.releaseSlot()) {
                freeSlot(type);
            }
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
        ReleaseResult result;
        if (permanent || job.isLastAttempt()) {
            result = queue.deadLetter(lease, error);
        } else {
            // A custom backoff may return anything: keep the retry between now and the longest backoff.
            long millis = Math.min(Math.max(0, options.backoff().apply(lease.attempt())), HandlerOptions.MAX_BACKOFF.toMillis());
            Duration delay = Duration.ofMillis(millis);
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
            lastKeeperBeat = ticker.nanos();
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

    /**
     * One heartbeat: time-outs, then the extensions due; returns how long until the next thing is
     * due. A failing extension of one group of leases does not keep the others from theirs; the
     * first failure is rethrown at the end for the outage log.
     */
    long keepOnce() {
        long nowNanos = ticker.nanos();
        long nextNanos = KEEPER_MAX_WAIT_NANOS;
        for (RunningJob job : running.keySet()) {
            Duration timeout = job.registration().options().timeout();
            if (timeout != null && job.isRunning()) {
                long left = saturatedSub(nanos(timeout), nowNanos - job.startedNanos());
                if (left <= 0) {
                    timeOut(job, timeout);
                } else {
                    nextNanos = Math.min(nextNanos, left);
                }
            }
        }
        if (running.isEmpty()) {
            return nextNanos;
        }
        Instant now = queue.now();
        Map<Duration, List<RunningJob>> due = new LinkedHashMap<>();
        List<Upcoming> upcoming = new ArrayList<>();
        for (RunningJob job : running.keySet()) {
            if (!job.isRunning()) {
                continue;
            }
            Duration extension = job.leaseExtension();
            // Extend once a third of the extension has passed: two more chances before expiry.
            Instant extendAt = job.lease().deadline().minus(extension.multipliedBy(2).dividedBy(3));
            long untilNanos = nanos(Duration.between(now, extendAt));
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
        RuntimeException firstFailure = null;
        for (Map.Entry<Duration, List<RunningJob>> group : due.entrySet()) {
            Duration extension = group.getKey();
            for (Upcoming next : upcoming) {
                if (next.extension().equals(extension) && next.untilNanos() <= nanos(extension) / 6) {
                    group.getValue().add(next.job());
                    riding.add(next.job());
                }
            }
            try {
                extend(group.getValue(), extension);
                nextNanos = Math.min(nextNanos, nanos(extension) / 3);
            } catch (RuntimeException e) {
                firstFailure = firstFailure == null ? e : firstFailure;
                nextNanos = Math.min(nextNanos, ERROR_BACKOFF_NANOS);
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
        return Math.max(KEEPER_MIN_WAIT_NANOS, nextNanos);
    }

    private static long saturatedSub(long a, long b) {
        long result = a - b;
        // Overflow only if the operands have different signs and the result's sign differs from a's.
        return ((a ^ b) & (a ^ result)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : result;
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
                metrics.leaseLost(lost.type());
                metrics.finished(lost.type(), SupervisorMetrics.LEASE_LOST);
                log.warn("{} lost its lease (expired and claimed by another worker, or removed); interrupting its"
                        + " handler and discarding its result", job);
                releaseSlotOfEnded(job);
            }
        }
    }

    private void timeOut(RunningJob job, Duration timeout) {
        if (!job.end(Ending.TIMED_OUT)) {
            return;
        }
        job.interrupt();
        log.warn("{} exceeded its time-out of {}; interrupting its handler and freeing its slot", job, timeout);
        try {
            fail(job, new TimeoutException("job exceeded its time-out of " + timeout), SupervisorMetrics.TIMEOUT);
        } catch (RuntimeException e) {
            metrics.databaseError("release");
            log.warn("could not release timed-out {}: {}; it is redelivered when its lease expires", job, e.toString());
        } finally {
            releaseSlotOfEnded(job);
        }
    }

    // ------------------------------------------------------------------ shutdown

    /**
     * Stops claiming, waits up to the drain time-out for running jobs, then interrupts the rest
     * and hands their leases back at once so other workers can take them without waiting for
     * expiry (counting the attempt: a handler that never finishes is dead-lettered in the end).
     * The lease keeper stops last, so draining jobs keep their leases.
     */
    public void stop() {
        claiming = false;
        stopListening.run();
        wakeups.close();
        // Pollers are woken, not interrupted: an interrupt in the middle of a claim could make the
        // driver drop a reply the server already acted on, stranding the entry until its lease
        // expires. A claim that completes after this point hands its leases straight back.
        for (Thread poller : pollerThreads) {
            if (poller.isAlive()) {
                joinQuietly(poller, Duration.ofSeconds(60));
            }
        }
        // Real time, not the ticker: draining is a real wait for real handler threads.
        long drainNanos = nanos(settings.drainTimeout());
        long startNanos = System.nanoTime();
        while (!running.isEmpty() && System.nanoTime() - startNanos < drainNanos) {
            long generation = slotFreed.generation();
            if (running.isEmpty()) {
                break;
            }
            try {
                slotFreed.awaitChange(generation, Math.min(drainNanos - (System.nanoTime() - startNanos), KEEPER_MAX_WAIT_NANOS));
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
        if (keeperThread.isAlive()) {
            keeperThread.interrupt();
            joinQuietly(keeperThread, Duration.ofSeconds(10));
        }
        if (ownedPool != null) {
            ownedPool.shutdownNow();
        }
    }

    /**
     * Ends a job still running at the end of the drain. A handler that ran used its attempt (so a
     * handler that never finishes is dead-lettered in the end, and its abandoned run does not share
     * an attempt number with the next); one that never started is handed back uncounted.
     */
    private void abandon(RunningJob job) {
        if (!job.end(Ending.ABANDONED)) {
            return;
        }
        job.interrupt();
        Lease lease = job.lease();
        try {
            if (!job.hasStarted()) {
                queue.giveBack(lease);
            } else {
                JobError error = JobError.of("still running when its worker shut down (drain time-out "
                        + settings.drainTimeout() + "); interrupted and handed back");
                ReleaseResult result = job.isLastAttempt() ? queue.deadLetter(lease, error)
                        : queue.release(lease, Duration.ZERO, error);
                if (result != ReleaseResult.LEASE_LOST) {
                    metrics.finished(lease.type(), SupervisorMetrics.ABANDONED);
                }
            }
        } catch (RuntimeException e) {
            log.warn("could not hand back {}: {}; it is redelivered when its lease expires", job, e.toString());
        } finally {
            releaseSlotOfEnded(job);
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
