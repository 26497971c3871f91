package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The operator's side of a {@link JobQueue}: counts, inspection, dead-letter handling, and the
 * single-entry operations cancel, delete, run now and set priority. Methods that take a
 * {@code type} accept null for all types.
 *
 * <p>Every write here is fenced like the lease protocol: one atomic write on the entry whose filter
 * requires the state the operation applies to, so it cannot race a claim into losing or doubling a
 * job (the claim or the operation wins; the loser changes nothing). Each is logged at INFO and
 * recorded in the audit log ({@link #auditLog}) with who asked ({@code by}) and when.
 *
 * <p>Thread-safe. Transient database errors are retried per {@link QueueConfig}; when they persist
 * a {@link DatabaseUnavailableException} is thrown. Invalid arguments throw
 * {@link IllegalArgumentException} naming the argument, the value and the rule.
 */
public interface JobAdmin {

    /** The longest {@code by} name the admin writes accept. */
    int MAX_BY_LENGTH = 200;

    /**
     * How long the audit log keeps a record: 30 days, by a TTL index. The embedded test server
     * does not serve TTL indexes, so there records stay until the collection is dropped.
     */
    Duration AUDIT_RETENTION = Duration.ofDays(30);

    /** {@return a short name for logs and metric tags: {@code database.collection}} */
    String name();

    /** {@return the current database time: the local clock plus the measured server offset; no round trip} */
    Instant now();

    /** {@return counts by type and state, and the age of the oldest ready entry; one aggregate round trip} */
    QueueStats stats();

    /**
     * {@return one entry in any state; empty if it does not exist (completed entries are deleted)}
     *
     * @param id the entry id, 24 hexadecimal digits
     */
    Optional<JobEntry> get(String id);

    /**
     * The next READY entries in claim order (priority, then visible-at), without claiming them.
     * Payloads are not read: each entry's {@link JobEntry#payload()} is null ({@link #get} reads one
     * whole entry).
     *
     * @param type  only entries of this type; null for all types
     * @param limit 1 to 1000
     * @return at most {@code limit} entries, the next to be claimed first
     */
    List<JobEntry> peek(@Nullable String type, int limit);

    /**
     * One page of dead letters, newest first (by when they died, then by id), without payloads.
     * Read on with the page's {@link DeadLetterPage#next() next} cursor as {@code after}; each page
     * is one index-served read, however deep it lies. Entries marked dead by hand without a
     * {@code deadAt} date are not listed (see the README's "Schema" section).
     *
     * @param type  only entries of this type; null for all types
     * @param after null for the first page; else the {@link DeadLetterPage#next()} of the page before
     *              (of any type filter: a cursor is a position in the newest-first order)
     * @param limit 1 to 1000
     * @return at most {@code limit} dead entries and the cursor of the next page
     * @throws IllegalArgumentException if {@code after} is no cursor a page returned, or {@code limit} is out of range
     */
    DeadLetterPage deadLetters(@Nullable String type, @Nullable String after, int limit);

    /**
     * One page of entries: by state, type or dedup key, newest first or in claim order (see
     * {@link JobQuery}), without payloads. Read on with the page's {@link JobPage#next() next} cursor
     * as the query's {@code after}; each page is one read, index-served on MongoDB for the listings
     * the README's index table names. The default, for queues that cannot list, throws
     * {@link UnsupportedOperationException}.
     *
     * @param query what to list, from where, how many
     * @return at most {@code query.limit()} entries and the cursor of the next page
     * @throws IllegalArgumentException if {@code query} is null or its {@code after} is no cursor a page of its
     *                                  order returned
     */
    default JobPage jobs(JobQuery query) {
        throw new UnsupportedOperationException("queue " + name() + " cannot list its entries");
    }

    /**
     * Every supervisor that registered on this queue, by id: alive, gone (stopped writing its registry
     * document without saying it stopped, with the leases it still holds) or stopped. Documents of
     * supervisors stopped or gone for a week are removed by the database (a TTL index; MongoDB and
     * DocumentDB). The default, for queues without a registry, throws {@link UnsupportedOperationException}.
     *
     * @return the supervisors, ordered by id; a round trip, plus one per gone supervisor
     */
    default List<SupervisorInfo> supervisors() {
        throw new UnsupportedOperationException("queue " + name() + " keeps no supervisor registry");
    }

    /**
     * Makes a DEAD entry READY now with its attempts reset. Each way this can fail to happen is a
     * {@link RequeueResult}, not an exception: no entry, an entry that is not dead, or an unfinished
     * entry that holds the same dedup key (requeue after it finishes, or purge).
     *
     * @param id the entry id, 24 hexadecimal digits
     * @return what happened, with what to do when nothing did
     */
    RequeueResult requeueDead(String id);

    /**
     * Requeues a dead letter as {@link #requeueDead(String)} does, recording {@code by} in the audit log.
     *
     * @param id the entry id, 24 hexadecimal digits
     * @param by who asks, for the audit log; not blank, at most {@value #MAX_BY_LENGTH} characters
     * @return what happened, with what to do when nothing did
     */
    RequeueResult requeueDead(String id, String by);

    /**
     * Requeues every DEAD entry of a type. Dead letters whose dedup key an unfinished entry holds
     * stay dead, each logged at WARN.
     *
     * @param type only entries of this type; null for all types
     * @return how many entries were requeued
     */
    long requeueAllDead(@Nullable String type);

    /**
     * Requeues every dead letter of a type as {@link #requeueAllDead(String)} does, recording
     * {@code by} and the count in the audit log (one record without an entry id).
     *
     * @param type only entries of this type; null for all types
     * @param by   who asks; not blank, at most {@value #MAX_BY_LENGTH} characters
     * @return how many entries were requeued
     */
    long requeueAllDead(@Nullable String type, String by);

    /**
     * Deletes dead letters for good.
     *
     * @param type   only entries of this type; null for all types
     * @param before only entries dead-lettered before this database time
     * @return how many entries were deleted
     */
    long purgeDead(@Nullable String type, Instant before);

    /**
     * Purges dead letters as {@link #purgeDead(String, Instant)} does, recording {@code by} and the
     * count in the audit log (one record without an entry id).
     *
     * @param type   only entries of this type; null for all types
     * @param before only entries dead-lettered before this database time
     * @param by     who asks; not blank, at most {@value #MAX_BY_LENGTH} characters
     * @return how many entries were deleted
     */
    long purgeDead(@Nullable String type, Instant before, String by);

    /**
     * Cancels a job. A READY entry (due or delayed), or a LEASED one whose lease has expired (its
     * worker is gone or late), is removed at once, by one delete whose filter requires it still
     * claimable so: a claim racing it either wins (then the job is LEASED under a live lease and
     * this call goes on to request its cancellation) or finds nothing; a late worker's completion
     * then finds its lease lost. A LEASED entry gets a cancellation
     * request ({@code cancelRequestedAt}, {@code cancelRequestedBy}): the supervisor running it
     * sees the request at its next heartbeat, makes {@link JobContext#isCancelled()} true,
     * interrupts the handler, discards its result and ends the entry as cancelled, neither
     * retried nor dead-lettered; a job it claimed ahead and not yet started never starts. A DEAD
     * entry is refused (delete it instead).
     *
     * <p>A request can arrive just after the worker released the job for a retry; it then stays on
     * the READY entry, and the next worker to claim it cancels it at its first heartbeat (or cancel
     * again to remove it at once).
     *
     * @param id the entry id, 24 hexadecimal digits
     * @param by who asks; not blank, at most {@value #MAX_BY_LENGTH} characters
     * @return {@code CANCELLED}, {@code CANCEL_REQUESTED}, {@code ALREADY_REQUESTED}, {@code NOT_FOUND},
     *         or {@code WRONG_STATE} for a dead letter
     */
    AdminResult cancel(String id, String by);

    /**
     * Deletes a READY or DEAD entry for good, by one delete whose filter requires one of those
     * states. A LEASED entry is refused: cancel it first.
     *
     * @param id the entry id, 24 hexadecimal digits
     * @param by who asks; not blank, at most {@value #MAX_BY_LENGTH} characters
     * @return {@code DELETED}, {@code NOT_FOUND}, or {@code WRONG_STATE} for a leased entry
     */
    AdminResult delete(String id, String by);

    /**
     * Makes a delayed READY entry claimable now (its visible-at becomes the current database time),
     * by one write whose filter requires it READY and not yet visible. Attempts and priority stay.
     *
     * @param id the entry id, 24 hexadecimal digits
     * @param by who asks; not blank, at most {@value #MAX_BY_LENGTH} characters
     * @return {@code MADE_DUE}, {@code ALREADY_DUE}, {@code NOT_FOUND}, or {@code WRONG_STATE} for a
     *         leased or dead entry
     */
    AdminResult runNow(String id, String by);

    /**
     * Changes the priority of a READY entry (higher is claimed first; any int, as
     * {@link JobRequest.Builder#priority} takes), by one write whose filter requires it READY.
     *
     * @param id       the entry id, 24 hexadecimal digits
     * @param priority the new priority
     * @param by       who asks; not blank, at most {@value #MAX_BY_LENGTH} characters
     * @return {@code PRIORITY_SET}, {@code NOT_FOUND}, or {@code WRONG_STATE} for a leased or dead entry
     */
    AdminResult setPriority(String id, int priority, String by);

    /**
     * The audit records of one entry, newest first: every admin operation on it, refusals included,
     * also after the entry is gone (until {@link #AUDIT_RETENTION} has passed). One index-served
     * read ({@code entryId 1, at -1, _id -1}).
     *
     * @param entryId the entry id, 24 hexadecimal digits
     * @param limit   1 to 1000
     * @return at most {@code limit} records, newest first
     */
    List<AuditRecord> auditLog(String entryId, int limit);

    /**
     * How many malformed entries this instance has quarantined since it was created: entries a
     * claim found claimable that break the entry schema (a field mistyped or out of range, an
     * {@code _id} that is no ObjectId, a newer schema version). Each became a dead letter whose last
     * error has the exception class {@link MalformedEntryException} and names the field; none was
     * handed out. Published as {@code docjobs.entries.quarantined} by
     * {@link io.docjobs.metrics.QueueMetrics}. The default, for queues that never quarantine, is 0.
     *
     * @return the number quarantined by this instance
     */
    default long quarantined() {
        return 0;
    }

    /**
     * Checks that the database answers (one round trip, no retries), for health checks.
     *
     * @throws DatabaseUnavailableException if it does not answer within the operation timeout
     */
    void ping();
}
