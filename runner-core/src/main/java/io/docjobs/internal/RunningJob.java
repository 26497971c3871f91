package io.docjobs.internal;

import io.docjobs.JobConsumer;
import io.docjobs.JobContext;
import io.docjobs.Lease;
import io.docjobs.NonRetryableException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.bson.Document;

/**
 * One claimed job from claim to outcome; the {@link JobContext} its handler sees. Exactly one party
 * decides how the job ends ({@link #end}): the worker when the handler returns, the lease keeper on
 * a lost lease, a time-out or an operator's cancellation request, or shutdown when it abandons the job. Whoever loses that race leaves
 * the lease and the slot alone.
 */
final class RunningJob implements JobContext {
    /** How the job ended; null while running. */
    enum Ending { COMPLETED, LEASE_LOST, TIMED_OUT, ABANDONED, CANCELLED }

    private final JobConsumer queue;
    private final Registration registration;
    private final Ticker ticker;
    /** Whether and when the job got a handler slot ({@link Workers}): a job claimed ahead waits for one. */
    private volatile boolean dispatched;
    private volatile long dispatchedNanos;
    private final AtomicReference<Ending> ending = new AtomicReference<>();
    private volatile Lease lease;
    /** The handler's thread while it runs this job; guarded by {@code this}. */
    private Thread thread;
    private boolean started;
    private volatile long startedNanos;
    /** Whether the job holds one of the handler slots; guarded by {@link Workers}' line of waiting jobs. */
    boolean holdsRunPermit;
    private final java.util.concurrent.atomic.AtomicBoolean slotReleased = new java.util.concurrent.atomic.AtomicBoolean();

    RunningJob(JobConsumer queue, Registration registration, Lease lease, Ticker ticker) {
        this.queue = queue;
        this.registration = registration;
        this.lease = lease;
        this.ticker = ticker;
    }

    Lease lease() {
        return lease;
    }

    Registration registration() {
        return registration;
    }

    /**
     * Called on the worker thread just before the handler runs; false if the job already ended
     * (timed out waiting for a thread, or abandoned at shutdown), when the handler must not run:
     * its slot and lease are no longer this worker's.
     */
    synchronized boolean start(Thread worker) {
        if (ending.get() != null) {
            return false;
        }
        this.thread = worker;
        this.started = true;
        this.startedNanos = ticker.nanos();
        return true;
    }

    synchronized boolean hasStarted() {
        return started;
    }

    /** Records that the job got a handler slot: its time-out counts from here until its handler starts. */
    void dispatched() {
        dispatchedNanos = ticker.nanos();
        dispatched = true;
    }

    /** Whether the job has a handler slot: a job claimed ahead that still waits for one has no time-out running. */
    boolean isDispatched() {
        return dispatched;
    }

    /** When the handler started, or when the job got its handler slot if it has not started yet. */
    long startedNanos() {
        return startedNanos == 0 ? dispatchedNanos : startedNanos;
    }

    /** Records a renewed lease, unless the job has ended meanwhile; keeps the later deadline. */
    void renewed(Lease renewed) {
        synchronized (this) {
            Lease current = lease;
            if (renewed.token().equals(current.token()) && renewed.deadline().isAfter(current.deadline())) {
                lease = renewed;
            }
        }
    }

    /** Claims the right to decide the outcome; false if someone else already did. */
    boolean end(Ending how) {
        return ending.compareAndSet(null, how);
    }

    Ending ending() {
        return ending.get();
    }

    boolean isRunning() {
        return ending.get() == null;
    }

    /** Interrupts the handler's thread, if it is still running this job. */
    synchronized void interrupt() {
        if (thread != null) {
            thread.interrupt();
        }
    }

    /**
     * Forgets the worker thread once the handler returned. Under the same lock as
     * {@link #interrupt}, so once this returns no interrupt meant for this job can reach the
     * thread; one that came earlier is cleared by the caller.
     */
    synchronized void detach() {
        thread = null;
    }

    /**
     * Claims the right to give this job's slot back; true exactly once. Once the job ended, its
     * ender and its returning handler race for it, and the slot must be freed exactly once.
     */
    boolean releaseSlot() {
        return slotReleased.compareAndSet(false, true);
    }

    boolean slotReleased() {
        return slotReleased.get();
    }

    Duration leaseExtension() {
        Duration configured = registration.options().leaseExtension();
        return configured != null ? configured : lease.visibilityTimeout();
    }

    // ---- JobContext

    @Override
    public String id() {
        return lease.id();
    }

    @Override
    public String type() {
        return lease.type();
    }

    @Override
    public String payload() {
        return lease.payload();
    }

    @Override
    public Document payloadDocument() {
        try {
            return lease.payloadDocument();
        } catch (IllegalArgumentException e) {
            throw new NonRetryableException(e.getMessage(), e);
        }
    }

    @Override
    public String traceparent() {
        return lease.traceparent();
    }

    @Override
    public int attempt() {
        return lease.attempt();
    }

    /** Whether a failure of this attempt dead-letters the job: the lease's or the handler options' cap. */
    boolean isLastAttempt() {
        return lease.attempt() >= maxAttempts();
    }

    @Override
    public int maxAttempts() {
        Integer cap = registration.options().maxAttempts();
        return cap == null ? lease.maxAttempts() : Math.min(cap, lease.maxAttempts());
    }

    @Override
    public Instant deadline() {
        return lease.deadline();
    }

    @Override
    public Instant enqueuedAt() {
        return lease.enqueuedAt();
    }

    @Override
    public String workerId() {
        return lease.workerId();
    }

    @Override
    public boolean extendLease(Duration duration) {
        if (!isRunning()) {
            return false; // timed out, lost or abandoned: the lease is no longer this handler's
        }
        Optional<Lease> extended = queue.extend(lease, duration);
        extended.ifPresent(this::renewed);
        return extended.isPresent();
    }

    @Override
    public boolean isLeaseLost() {
        return ending.get() == Ending.LEASE_LOST;
    }

    @Override
    public boolean isCancelled() {
        Ending how = ending.get();
        return how != null && how != Ending.COMPLETED;
    }

    @Override
    public String toString() {
        return "job " + lease.id() + " (type \"" + lease.type() + "\", attempt " + lease.attempt() + ")";
    }
}
