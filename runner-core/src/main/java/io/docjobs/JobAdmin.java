package io.docjobs;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The operator's side of a {@link JobQueue}: counts, inspection and dead-letter handling. Methods
 * that take a {@code type} accept null for all types.
 *
 * <p>Thread-safe. Transient database errors are retried per {@link QueueConfig}; when they persist
 * a {@link DatabaseUnavailableException} is thrown. Invalid arguments throw
 * {@link IllegalArgumentException} naming the argument, the value and the rule.
 */
public interface JobAdmin {

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
     * Requeues every DEAD entry of a type. Dead letters whose dedup key an unfinished entry holds
     * stay dead, each logged at WARN.
     *
     * @param type only entries of this type; null for all types
     * @return how many entries were requeued
     */
    long requeueAllDead(@Nullable String type);

    /**
     * Deletes dead letters for good.
     *
     * @param type   only entries of this type; null for all types
     * @param before only entries dead-lettered before this database time
     * @return how many entries were deleted
     */
    long purgeDead(@Nullable String type, Instant before);

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
