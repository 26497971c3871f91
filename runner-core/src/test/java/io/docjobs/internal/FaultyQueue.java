package io.docjobs.internal;

import io.docjobs.AdminResult;
import io.docjobs.AuditRecord;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.DeadLetterPage;
import io.docjobs.EnqueueResult;
import io.docjobs.ExtensionResult;
import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import io.docjobs.QueueStats;
import io.docjobs.ReleaseResult;
import io.docjobs.RequeueResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * A real queue with claims that fail on demand, as during an outage or a fail-over: a claim
 * numbered by {@link #claimCalls} fails before it reaches the database when {@link #failClaims}
 * says so. Everything else is forwarded.
 */
final class FaultyQueue implements JobQueue {
    private final JobQueue delegate;
    final AtomicInteger claimCalls = new AtomicInteger();
    final AtomicInteger giveBacks = new AtomicInteger();
    /** Every claim call in order: {@code "claim"}, or {@code "claimBatch <max>"}. */
    final List<String> claimLog = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile IntPredicate failClaims = call -> false;
    /** Runs in every claim call before it reaches the database: tests let a claim take ticker time here. */
    volatile Runnable duringClaim = () -> { };
    /** Runs in every release before it reaches the database: tests stage what happens meanwhile. */
    volatile Runnable duringRelease = () -> { };
    /** Runs in every group commit of completions before it reaches the database: tests stage what happens meanwhile. */
    volatile Runnable duringDoneAll = () -> { };

    FaultyQueue(JobQueue delegate) {
        this.delegate = delegate;
    }

    private void maybeFail() {
        int call = claimCalls.incrementAndGet();
        duringClaim.run();
        if (failClaims.test(call)) {
            throw new DatabaseUnavailableException("injected claim failure #" + call, null);
        }
    }

    @Override
    public Optional<Lease> claim(Collection<String> types, String workerId) {
        claimLog.add("claim");
        maybeFail();
        return delegate.claim(types, workerId);
    }

    @Override
    public List<Lease> claimBatch(Collection<String> types, String workerId, int max) {
        claimLog.add("claimBatch " + max);
        maybeFail();
        return delegate.claimBatch(types, workerId, max);
    }

    @Override
    public List<Lease> claimBatch(Map<String, Integer> limits, String workerId, int max) {
        claimLog.add("claimBatch " + max);
        maybeFail();
        return delegate.claimBatch(limits, workerId, max);
    }

    @Override
    public boolean giveBack(Lease lease) {
        giveBacks.incrementAndGet();
        return delegate.giveBack(lease);
    }

    // ---- forwarded

    @Override
    public EnqueueResult enqueue(JobRequest request) {
        return delegate.enqueue(request);
    }

    @Override
    public List<EnqueueResult> enqueueAll(List<JobRequest> requests) {
        return delegate.enqueueAll(requests);
    }

    @Override
    public Runnable onEnqueue(Consumer<Set<String>> listener) {
        return delegate.onEnqueue(listener);
    }

    @Override
    public boolean done(Lease lease) {
        return delegate.done(lease);
    }

    @Override
    public io.docjobs.CompletionResult doneAll(Collection<Lease> leases) {
        duringDoneAll.run();
        return delegate.doneAll(leases);
    }

    @Override
    public Optional<Lease> extend(Lease lease, Duration duration) {
        return delegate.extend(lease, duration);
    }

    @Override
    public ExtensionResult extendAll(Collection<Lease> leases, Duration duration) {
        return delegate.extendAll(leases, duration);
    }

    @Override
    public ReleaseResult release(Lease lease, Duration delay, JobError error) {
        duringRelease.run();
        return delegate.release(lease, delay, error);
    }

    @Override
    public ReleaseResult deadLetter(Lease lease, JobError error) {
        return delegate.deadLetter(lease, error);
    }

    @Override
    public QueueStats stats() {
        return delegate.stats();
    }

    @Override
    public Optional<JobEntry> get(String id) {
        return delegate.get(id);
    }

    @Override
    public List<JobEntry> peek(String type, int limit) {
        return delegate.peek(type, limit);
    }

    @Override
    public DeadLetterPage deadLetters(String type, String after, int limit) {
        return delegate.deadLetters(type, after, limit);
    }

    @Override
    public RequeueResult requeueDead(String id) {
        return delegate.requeueDead(id);
    }

    @Override
    public long requeueAllDead(String type) {
        return delegate.requeueAllDead(type);
    }

    @Override
    public long purgeDead(String type, Instant before) {
        return delegate.purgeDead(type, before);
    }

    @Override
    public RequeueResult requeueDead(String id, String by) {
        return delegate.requeueDead(id, by);
    }

    @Override
    public long requeueAllDead(String type, String by) {
        return delegate.requeueAllDead(type, by);
    }

    @Override
    public long purgeDead(String type, Instant before, String by) {
        return delegate.purgeDead(type, before, by);
    }

    @Override
    public AdminResult cancel(String id, String by) {
        return delegate.cancel(id, by);
    }

    @Override
    public AdminResult delete(String id, String by) {
        return delegate.delete(id, by);
    }

    @Override
    public AdminResult runNow(String id, String by) {
        return delegate.runNow(id, by);
    }

    @Override
    public AdminResult setPriority(String id, int priority, String by) {
        return delegate.setPriority(id, priority, by);
    }

    @Override
    public List<AuditRecord> auditLog(String entryId, int limit) {
        return delegate.auditLog(entryId, limit);
    }

    @Override
    public void ping() {
        delegate.ping();
    }

    @Override
    public String name() {
        return delegate.name();
    }

    @Override
    public Instant now() {
        return delegate.now();
    }

    @Override
    public void ensureIndexes() {
        delegate.ensureIndexes();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
