package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The worker's side of a {@link JobQueue}: the lease protocol. A {@link Supervisor} needs only
 * this; so does a hand-written worker loop.
 *
 * <p>Workers {@link #claim} entries: a claim hides the entry for its visibility timeout and hands
 * out a {@link Lease} with a fresh token. The worker then calls {@link #done} (the entry is
 * deleted), {@link #release} (retry later, or dead-letter after the last attempt) or nothing: when
 * the lease deadline passes the entry is claimable again. So a job can run more than once (a
 * worker can finish just after its lease expired), and handlers must be idempotent. Every lease
 * operation is fenced by the token: once another worker has claimed the entry, the old lease can
 * neither complete, extend nor release it, and the call reports the loss as a return value.
 *
 * <p>Thread-safe. Transient database errors are retried per {@link QueueConfig}; when they persist
 * a {@link DatabaseUnavailableException} is thrown. Invalid arguments throw
 * {@link IllegalArgumentException} naming the argument, the value and the rule.
 */
public interface JobConsumer {

    /** {@return a short name for logs and metric tags: {@code database.collection}} */
    String name();

    /** {@return the current database time (local clock plus measured server offset), in which lease deadlines are} */
    Instant now();

    /**
     * Claims the most urgent claimable entry of the given types: READY or with an expired lease,
     * visible now; highest priority first, then longest visible. A sorted read of a few candidate
     * ids, then one atomic {@code findOneAndUpdate} on the first candidate still claimable, which
     * hides it for exactly its own visibility timeout. Malformed entries met on the way are
     * quarantined as dead letters, never returned (see {@link JobAdmin#quarantined()}).
     *
     * @param types    the types to claim, at least one
     * @param workerId written into the lease; not blank
     * @return the lease, or empty when nothing is claimable
     */
    Optional<Lease> claim(Collection<String> types, String workerId);

    /**
     * Claims up to {@code max} entries in the same order as {@link #claim}, in a fixed number of
     * round trips: a sorted read of candidate ids, one {@code updateMany} per distinct visibility
     * timeout among them, and a read-back of the entries won; another such pass (three at most)
     * only if other workers won some of the candidates. The leases of one pass share a token (each
     * is still fenced by entry id and token). If a later pass fails, the leases already won are
     * returned rather than lost.
     *
     * @param types    the types to claim, at least one
     * @param workerId written into the leases; not blank
     * @param max      1 to 1000
     * @return the leases won, most urgent first; empty when nothing is claimable
     */
    List<Lease> claimBatch(Collection<String> types, String workerId, int max);

    /**
     * Claims up to {@code max} entries in claim order across all the given types, taking at most
     * {@code limits.get(type)} entries of each type: the batch claim of a worker whose types have
     * concurrency limits. Priority is respected across types: an urgent entry of a limited type
     * is claimed before a less urgent one of another type. A type with limit 0 is not claimed.
     *
     * @param limits   the most entries to take of each type
     * @param workerId written into the leases; not blank
     * @param max      the most entries in all, 1 to 1000
     * @return the leases won, most urgent first; empty when nothing is claimable
     */
    List<Lease> claimBatch(Map<String, Integer> limits, String workerId, int max);

    /**
     * Completes the job: deletes the entry if the lease still holds.
     *
     * @param lease the lease from the claim
     * @return true if completed; false if the lease was lost (another worker claimed the entry, or it
     *         was released or completed already), or if a retry after a lost reply finds the entry
     *         gone after the lease's deadline, when the completion may have been another worker's:
     *         the caller must treat its work as not acknowledged
     */
    boolean done(Lease lease);

    /**
     * Completes several jobs in one round trip (two if some leases were lost), each fenced by its
     * own lease as {@link #done} is: a lost lease deletes nothing and is reported as lost, whatever
     * happens to the others. The supervisor sends the completions of jobs that finish together this
     * way.
     *
     * @param leases the leases from the claims, each id at most once
     * @return which were completed and which were lost
     */
    default CompletionResult doneAll(Collection<Lease> leases) {
        if (leases == null) {
            throw new IllegalArgumentException("leases was null but must be a collection of leases");
        }
        List<Lease> completed = new ArrayList<>();
        List<Lease> lost = new ArrayList<>();
        for (Lease lease : leases) {
            (done(lease) ? completed : lost).add(lease);
        }
        return new CompletionResult(completed, lost);
    }

    /**
     * Moves the lease deadline to now + {@code duration}, or leaves it where it is if that is
     * later already: extensions never shorten a lease, so concurrent extensions of one lease
     * cannot leave a worker believing in a later deadline than the stored one.
     *
     * @param lease    the lease to extend
     * @param duration from now; positive, at most {@link JobRequest#MAX_VISIBILITY_TIMEOUT}
     * @return the lease with its new deadline, or empty if the lease was lost or an operator asked to
     *         cancel the job ({@link JobAdmin#cancel}): either way, stop working on it
     */
    Optional<Lease> extend(Lease lease, Duration duration);

    /**
     * Extends each lease as {@link #extend} does, in one round trip (two if some were lost or are to
     * be cancelled). A lease whose entry carries an operator's cancellation request
     * ({@link JobAdmin#cancel}) is not extended but reported in
     * {@link ExtensionResult#cancelRequested()}: stop its handler, discard its result and complete
     * it with {@link #done}.
     *
     * @param leases   the leases to extend
     * @param duration from now; positive, at most {@link JobRequest#MAX_VISIBILITY_TIMEOUT}
     * @return which leases were extended, which were lost, and which are to be cancelled
     */
    ExtensionResult extendAll(Collection<Lease> leases, Duration duration);

    /**
     * Gives up this attempt after a failure: records {@code error}, and makes the entry claimable
     * again after {@code delay}, or dead-letters it if this was its last attempt.
     *
     * @param lease the lease of the failed attempt
     * @param delay until the entry is visible again; zero to {@link JobRequest#MAX_DELAY}
     * @param error what went wrong; the queue adds time, worker and attempt
     * @return whether a retry is scheduled, the entry is dead, or the lease was lost
     */
    ReleaseResult release(Lease lease, Duration delay, JobError error);

    /**
     * Dead-letters the entry at once, whatever attempts remain: for failures no retry can fix.
     *
     * @param lease the lease of the failed attempt
     * @param error what went wrong; the queue adds time, worker and attempt
     * @return {@link ReleaseResult#DEAD_LETTERED}, or {@link ReleaseResult#LEASE_LOST}
     */
    ReleaseResult deadLetter(Lease lease, JobError error);

    /**
     * Hands the entry back untouched, claimable at once, without counting the attempt: for a lease
     * whose handler never started (claimed while shutting down, or no thread to run it). A handler
     * that ran and did not finish is a failed attempt: {@link #release} it.
     *
     * @param lease the lease whose handler never started
     * @return true if handed back; false if the lease was lost
     */
    boolean giveBack(Lease lease);

    /**
     * A wake-up hook for idle workers: registers {@code listener} to hear of new entries, with
     * their types: those enqueued through this same queue instance at once, and, with
     * {@link QueueConfig#changeStreams()} on a server that has change streams, those inserted by
     * other processes. An empty set means "entries may have arrived unseen, look once". A
     * {@link Supervisor} uses it to wake its idle pollers instead of waiting out their back-off.
     * Listeners must be quick; their exceptions are logged and ignored. The default, for consumers
     * that cannot tell, never calls the listener.
     *
     * @param listener called with the types of new entries, on the enqueuing or the watching thread
     * @return a handle that unregisters the listener
     */
    default Runnable onEnqueue(Consumer<Set<String>> listener) {
        return () -> { };
    }
}
