package io.docjobs.internal;

import io.docjobs.JobContext;
import io.docjobs.JobQueue;
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
 * a lost lease or a time-out, or shutdown when it abandons the job. Whoever loses that race leaves
 * the lease and the slot alone.
 */
final class RunningJob implements JobContext {
    /** How the job ended; null while running. */
    enum Ending { COMPLETED, LEASE_LOST, TIMED_OUT, ABANDONED }

    private final JobQueue queue;
    private final Registration registration;
    private final long claimedNanos;
    private final AtomicReference<Ending> ending = new AtomicReference<>();
    private volatile Lease lease;
    private volatile Thread thread;
    private volatile long startedNanos;

    RunningJob(JobQueue queue, Registration registration, Lease lease) {
        this.queue = queue;
        this.registration = registration;
        this.lease = lease;
        this.claimedNanos = System.nanoTime();
    }

    Lease lease() {
        return lease;
    }

    Registration registration() {
        return registration;
    }

    /** Called on the worker thread just before the handler runs. */
    void started(Thread worker) {
        this.thread = worker;
        this.startedNanos = System.nanoTime();
    }

    long startedNanos() {
        return startedNanos == 0 ? claimedNanos : startedNanos;
    }

    /** Records a renewed lease, unless the job has ended meanwhile. */
    void renewed(Lease renewed) {
        if (renewed.token().equals(lease.token())) {
            lease = renewed;
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
    void interrupt() {
        Thread worker = thread;
        if (worker != null) {
            worker.interrupt();
        }
    }

    /** Forgets the worker thread once the handler returned, so a late interrupt cannot hit the next job. */
    void detach() {
        thread = null;
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
    public int attempt() {
        return lease.attempt();
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
            return ending.get() != Ending.LEASE_LOST && ending.get() != Ending.ABANDONED;
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
