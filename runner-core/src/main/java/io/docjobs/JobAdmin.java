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

    /** A short name for logs and metric tags: {@code database.collection}. */
    String name();

    /** The current database time (local clock + measured server offset). */
    Instant now();

    /** Counts by type and state, and the age of the oldest ready entry; one aggregate round trip. */
    QueueStats stats();

    /** One entry by id, in any state; empty if it does not exist (completed entries are deleted). */
    Optional<JobEntry> get(String id);

    /**
     * The next READY entries in claim order (priority, then visible-at), without claiming them.
     *
     * @param type  only entries of this type; null for all types
     * @param limit 1 to 1000
     */
    List<JobEntry> peek(@Nullable String type, int limit);

    /**
     * Dead letters, newest first, {@code limit} from {@code offset}.
     *
     * @param type only entries of this type; null for all types
     */
    List<JobEntry> deadLetters(@Nullable String type, int offset, int limit);

    /**
     * Makes a DEAD entry READY now with its attempts reset. Each way this can fail to happen is a
     * {@link RequeueResult}, not an exception: no entry, an entry that is not dead, or an unfinished
     * entry that holds the same dedup key (requeue after it finishes, or purge).
     */
    RequeueResult requeueDead(String id);

    /**
     * Requeues every DEAD entry of {@code type} (null for all types); returns how many. Dead
     * letters whose dedup key an unfinished entry holds stay dead, each logged at WARN.
     */
    long requeueAllDead(@Nullable String type);

    /**
     * Deletes DEAD entries of {@code type} (null for all types) dead-lettered before
     * {@code before}; returns how many.
     */
    long purgeDead(@Nullable String type, Instant before);

    /**
     * How many malformed entries this instance has quarantined since it was created: entries a
     * claim found claimable that break the entry schema (a field mistyped or out of range, an
     * {@code _id} that is no ObjectId, a newer schema version). Each became a dead letter whose last
     * error has the exception class {@link MalformedEntryException} and names the field; none was
     * handed out. Published as {@code docjobs.entries.quarantined} by
     * {@link io.docjobs.metrics.QueueMetrics}. The default, for queues that never quarantine, is 0.
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
