package io.docjobs.internal;

import io.docjobs.Lease;
import io.docjobs.internal.RunningJob.Ending;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.ArrayDeque;
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
    /** Handler threads that may run on after their job ended (stuck) while their slot is reused. */
    private final int stuckAllowance;
    private final AtomicInteger stuckWithFreedSlot = new AtomicInteger();

    Workers(Executor pool, int handlers, int stuckAllowance, Slots slots, Wakeups wakeups, Signal slotFreed,
            KeeperAlarm keeperAlarm, Outcomes outcomes, SupervisorMetrics metrics, Ticker ticker, String queueName,
            ObservationRegistry observations) {
        this.pool = pool;
        this.runPermits = handlers;
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
     * Hands {@code job}, which holds a slot, to a worker thread, or, while {@code workers} handlers
     * run, queues it for the next handler slot that comes back.
     *
     * @throws RuntimeException or {@link Error} if no thread can take it (rejected; no native
     *         thread): then call {@link #couldNotStart}
     */
    void execute(RunningJob job) {
        running.put(job, Boolean.TRUE);
        boolean waits;
        synchronized (waiting) {
            waits = runPermits == 0;
            if (waits) {
                waiting.add(job);
            } else {
                runPermits--;
                job.holdsRunPermit = true;
            }
        }
        if (waits) {
            keeperAlarm.watch(job); // outside the line's lock: it may signal the keeper
            return;
        }
        dispatch(job);
        pool.execute(() -> run(job));
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
     * The slot of {@code job}, which went through {@link #execute}, came back: if it was still
     * waiting it just leaves the line; otherwise its handler slot goes to the first waiting job.
     */
    private void handBackRunPermit(RunningJob job) {
        RunningJob next;
        synchronized (waiting) {
            if (!job.holdsRunPermit) {
                waiting.remove(job); // ended while waiting (or taken out at shutdown)
                return;
            }
            job.holdsRunPermit = false;
            next = waiting.poll();
            if (next == null) {
                runPermits++;
                return;
            }
            next.holdsRunPermit = true;
        }
        dispatch(next);
        try {
            pool.execute(() -> run(next));
        } catch (RuntimeException | Error e) {
            couldNotStart(next, e);
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

    /** Returns the slots of a job that went through {@link #execute}: its handler slot, then its claim slot. */
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
                    settle(job, failure);
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
    }

    /**
     * Records the outcome of a job that ended as completed. Its handler slot goes to the next job
     * at once; its claim slot (and its place among the jobs in flight, which the drain at shutdown
     * waits for) only once the outcome is recorded, which for a success is the group commit's answer.
     */
    private void settle(RunningJob job, Throwable failure) {
        handBackRunPermit(job);
        outcomes.settle(job, failure, () -> {
            running.remove(job);
            if (job.releaseSlot()) {
                freeSlotOf(job);
            }
        });
    }
}
