package io.docjobs.internal;

import io.docjobs.Lease;
import io.docjobs.internal.RunningJob.Ending;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Where claimed jobs run: handlers on the worker executor, the set of jobs in flight, and how their
 * slots come back. A slot comes back when its handler returns; for a job ended while its handler
 * still runs (time-out, lost lease, abandoned) it comes back at once only while few handlers are
 * stuck, so the number of threads stays bounded.
 *
 * <p>A claim's jobs beyond the free handler slots wait in line; a thread whose job succeeded runs
 * the next one waiting, so a busy supervisor hands work between threads about once per claim,
 * not once per job.
 *
 * <p>Every freed slot wakes the pollers waiting for capacity and the drain at shutdown; a job that
 * starts or gets its handler slot wakes the lease keeper if it is due before the keeper's next look.
 */
final class Workers {
    private static final Logger log = LoggerFactory.getLogger(Workers.class);

    private final Executor pool;
    private final Slots slots;
    private final Wakeups wakeups;
    private final Signal slotFreed;
    private final KeeperAlarm keeperAlarm;
    private final Outcomes outcomes;
    private final SupervisorMetrics metrics;
    private final Ticker ticker;
    private final String queueName;
    private final ObservationRegistry observations;
    private final Map<RunningJob, Boolean> running = new ConcurrentHashMap<>();
    /**
     * Handlers that may run at once ({@code workers}): claimed jobs beyond that (claimed ahead, up
     * to the prefetch) wait here, in claim order, holding their slots and heartbeated like the
     * running ones, until a handler's slot comes back. Guarded by itself.
     */
    private final ArrayDeque<RunningJob> waiting = new ArrayDeque<>();
    private int runPermits;
    private final int handlers;
    /** Handler threads that may run on after their job ended (stuck) while their slot is reused. */
    private final int stuckAllowance;
    private final AtomicInteger stuckWithFreedSlot = new AtomicInteger();

    Workers(Executor pool, int handlers, int stuckAllowance, Slots slots, Wakeups wakeups, Signal slotFreed,
            KeeperAlarm keeperAlarm, Outcomes outcomes, SupervisorMetrics metrics, Ticker ticker, String queueName,
            ObservationRegistry observations) {
        this.pool = pool;
        this.runPermits = handlers;
        this.handlers = handlers;
        this.stuckAllowance = stuckAllowance;
        this.slots = slots;
        this.wakeups = wakeups;
        this.slotFreed = slotFreed;
        this.keeperAlarm = keeperAlarm;
        this.outcomes = outcomes;
        this.metrics = metrics;
        this.ticker = ticker;
        this.queueName = queueName;
        this.observations = observations;
    }

    /** The jobs in flight: a live view, safe to iterate while jobs come and go. */
    Set<RunningJob> running() {
        return running.keySet();
    }

    int inFlight() {
        return running.size();
    }

    /** Claimed jobs waiting for a handler slot. */
    int waiting() {
        synchronized (waiting) {
            return waiting.size();
        }
    }

    /**
     * Hands a claim's jobs, each holding a slot, to the workers: as many start as handler slots
     * are free, the rest wait in line, in claim order, for a handler slot. All join the line
     * before any thread is woken, so a claim wakes at most {@code workers} threads, and the
     * threads it wakes run the jobs waiting after their own (see {@link #runFrom}). A job no
     * thread can take (rejected; no native thread) goes through {@link #couldNotStart}.
     *
     * @return how many of {@code jobs} were handed over (started or waiting)
     */
    int executeAll(List<RunningJob> jobs) {
        List<RunningJob> starting = new ArrayList<>(jobs.size());
        List<RunningJob> queued = new ArrayList<>(jobs.size());
        jobs.forEach(job -> running.put(job, Boolean.TRUE));
        synchronized (waiting) {
            for (RunningJob job : jobs) {
                if (runPermits > 0) {
                    runPermits--;
                    job.holdsRunPermit = true;
                    starting.add(job);
                } else {
                    waiting.add(job);
                    queued.add(job);
                }
            }
        }
        queued.forEach(keeperAlarm::watch); // outside the line's lock: it may signal the keeper
        int handed = queued.size();
        for (RunningJob job : starting) {
            if (startOnPool(job)) {
                handed++;
            }
        }
        return handed;
    }

    /** Starts {@code job}, which holds a handler slot, on a pool thread; false if none could take it. */
    private boolean startOnPool(RunningJob job) {
        dispatch(job);
        try {
            pool.execute(() -> runFrom(job));
            return true;
        } catch (RuntimeException | Error e) { // RejectedExecutionException; OutOfMemoryError: no native thread
            couldNotStart(job, e);
            return false;
        }
    }

    /**
     * Takes every job still waiting for a handler slot out of the line, for the shutdown to hand
     * back at once: none of them starts after this.
     */
    List<RunningJob> takeWaiting() {
        synchronized (waiting) {
            List<RunningJob> taken = List.copyOf(waiting);
            waiting.clear();
            return taken;
        }
    }

    /**
     * The slot of {@code job}, which went through {@link #executeAll}, came back: if it was still
     * waiting it just leaves the line; otherwise its handler slot goes to the first waiting job,
     * which starts on the pool.
     */
    private void handBackRunPermit(RunningJob job) {
        RunningJob next = passRunPermit(job);
        if (next != null) {
            startOnPool(next);
        }
    }

    /**
     * Takes the handler slot from {@code job}: the first job waiting gets it and is returned, not
     * yet started; with none waiting the slot is free again. A job without one just leaves the line.
     */
    private RunningJob passRunPermit(RunningJob job) {
        synchronized (waiting) {
            if (!job.holdsRunPermit) {
                waiting.remove(job); // ended while waiting (or taken out at shutdown)
                return null;
            }
            job.holdsRunPermit = false;
            RunningJob next = waiting.poll();
            if (next == null) {
                runPermits++;
            } else {
                next.holdsRunPermit = true;
            }
            return next;
        }
    }

    /** The job has a handler slot: its time-out starts. */
    private void dispatch(RunningJob job) {
        job.dispatched();
        keeperAlarm.watch(job);
    }

    /** Ends a job no worker could start, hands its lease back unstarted and frees its slot. Never throws. */
    void couldNotStart(RunningJob job, Throwable why) {
        running.remove(job);
        if (job.end(Ending.ABANDONED) && job.releaseSlot()) {
            log.error("could not start a worker for {} ({} handler threads stuck past their jobs); handing it back"
                    + " unstarted", job, stuckWithFreedSlot.get(), why);
            outcomes.giveBackQuietly(job.lease(), "no worker could start it");
            freeSlotOf(job);
        }
    }

    /** Returns the slots of a job that went through {@link #executeAll}: its handler slot, then its claim slot. */
    private void freeSlotOf(RunningJob job) {
        handBackRunPermit(job);
        freeSlot(job.lease().type());
    }

    /** Returns one slot of {@code type} and wakes whoever waits for one. */
    void freeSlot(String type) {
        slots.free(type);
        wakeups.capacity();
        slotFreed.signal();
    }

    /**
     * A job ended while its handler may still be running (time-out, lost lease, abandoned). Its
     * slot is reused at once while fewer than {@code stuckAllowance} handlers are stuck; beyond
     * that the slot stays taken until the handler returns, so threads stay bounded.
     */
    void releaseSlotOfEnded(RunningJob job) {
        running.remove(job);
        if (!job.hasStarted()) {
            if (job.releaseSlot()) {
                freeSlotOf(job); // no handler ran: nothing can be stuck
            }
            return;
        }
        if (stuckWithFreedSlot.incrementAndGet() <= stuckAllowance) {
            metrics.stuckChanged(1); // before the slot goes: the handler's return undoes it
            if (job.releaseSlot()) {
                freeSlotOf(job);
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

    /**
     * A worker thread's body: runs {@code first}, then, while jobs wait in line when a handler
     * succeeds, the next of them with the same handler slot: a thread hand-off per claim rather
     * than per job.
     */
    private void runFrom(RunningJob first) {
        for (RunningJob job = first; job != null; job = run(job)) {
            // the handler slot went from one job to the next
        }
    }

    /** Runs one job's handler and records its outcome; the job to run next on this thread, or null. */
    private RunningJob run(RunningJob job) {
        Lease lease = job.lease();
        String type = lease.type();
        if (!job.start(Thread.currentThread())) {
            return null; // ended before a thread reached it; whoever ended it took care of lease and slot
        }
        RunningJob next = null;
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
                () -> new JobObservationContext(lease, queueName), observations).start();
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
                    next = settle(job, failure);
                } else {
                    metrics.handlerReturned(type, job.ending().name().toLowerCase(Locale.ROOT), nanos);
                    if (job.releaseSlot()) {
                        freeSlotOf(job); // returned before its ender freed the slot, or kept it as one stuck too many
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
        return next;
    }

    /**
     * Records the outcome of a job that ended as completed, and passes its handler slot on at
     * once; its claim slot (and its place among the jobs in flight, which the drain at shutdown
     * waits for) comes back only once the outcome is recorded, which for a success is the group
     * commit's answer. After a success the first job waiting gets the handler slot and is
     * returned, for this thread to run next; unless this thread has to send the group commit,
     * which may take a while under load: then another thread runs it.
     */
    private RunningJob settle(RunningJob job, Throwable failure) {
        Runnable settled = () -> {
            running.remove(job);
            if (job.releaseSlot()) {
                freeSlotOf(job);
            }
        };
        if (failure != null) {
            handBackRunPermit(job); // a release is a round trip: the next job does not wait for it
            outcomes.failed(job, failure, settled);
            return null;
        }
        RunningJob next;
        boolean lastForNow;
        synchronized (waiting) { // passRunPermit's lock too: the count is the one it left
            next = passRunPermit(job);
            lastForNow = runPermits == handlers; // no handler runs, none waits
        }
        if (!outcomes.succeeded(job, lastForNow, settled)) {
            if (next != null) {
                dispatch(next);
            }
            return next;
        }
        if (next != null) {
            startOnPool(next);
        }
        sendCompletionsOutsideTheJob();
        return null;
    }

    /**
     * Sends the group commit on this thread without the log context of the job whose completion
     * made it the sender: what it logs meanwhile is about other jobs' completions too.
     */
    private void sendCompletionsOutsideTheJob() {
        Map<String, String> context = MDC.getCopyOfContextMap();
        MDC.clear();
        try {
            outcomes.sendCompletions();
        } finally {
            if (context != null) {
                MDC.setContextMap(context);
            }
        }
    }
}
