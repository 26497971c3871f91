package io.docjobs;

import com.mongodb.client.MongoClient;
import io.docjobs.mongo.MongoJobQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bson.Document;

/**
 * A durable job queue in one MongoDB / Amazon DocumentDB collection, with at-least-once delivery
 * and fenced leases.
 *
 * <p>Producers {@link #enqueue} entries. Workers {@link #claim} them: a claim hides the entry for its
 * visibility timeout and hands out a {@link Lease} with a fresh token. The worker then calls
 * {@link #done} (the entry is deleted), {@link #release} (retry later, or dead-letter after the last
 * attempt) or nothing: when the lease deadline passes the entry is claimable again. So a job can run
 * more than once (a worker can finish just after its lease expired), and handlers must be
 * idempotent. Every lease operation is fenced by the token: once another worker has claimed the
 * entry, the old lease can neither complete, extend nor release it, and the call reports the loss.
 *
 * <p>All times are database time: the local {@link QueueConfig#clock()} corrected by an offset to
 * the server's clock, so workers on hosts with skewed clocks agree on deadlines.
 *
 * <p>Thread-safe. Transient database errors are retried per {@link QueueConfig}; when they persist
 * a {@link DatabaseUnavailableException} is thrown. Invalid arguments throw
 * {@link IllegalArgumentException} naming the argument, the value and the rule.
 */
public interface JobQueue extends AutoCloseable {

    /**
     * Connects with {@code config.connectionString()}, checks the server version, aligns to the
     * server clock and creates the indexes. The queue owns the client and closes it in {@link #close()}.
     *
     * @throws ConfigurationException      for a malformed connection string, a bad CA file, wrong
     *                                     credentials or a server older than MongoDB 4.2
     * @throws DatabaseUnavailableException if no server answered within the operation timeout
     */
    static JobQueue connect(QueueConfig config) {
        return MongoJobQueue.connect(config);
    }

    /**
     * A queue on an existing client, which stays the caller's to close. The connection settings
     * in {@code config} (connection string, CA file, operation timeout) are ignored: the client's
     * own apply, so give it bounded server-selection and socket timeouts. The rest of
     * {@code config} applies.
     */
    static JobQueue using(MongoClient client, QueueConfig config) {
        return MongoJobQueue.using(client, config);
    }

    // ---- producing ----

    /** Enqueues a text payload with the given visibility timeout and default everything else. */
    default String enqueue(String type, String payload, Duration visibilityTimeout) {
        return enqueue(JobRequest.builder(type).payload(payload).visibilityTimeout(visibilityTimeout).build()).id();
    }

    /** Enqueues a document payload with the given visibility timeout and default everything else. */
    default String enqueue(String type, Document payload, Duration visibilityTimeout) {
        return enqueue(JobRequest.builder(type).payload(payload).visibilityTimeout(visibilityTimeout).build()).id();
    }

    /**
     * Enqueues one entry. With a dedup key held by an unfinished entry, inserts nothing and returns
     * that entry's id with {@code duplicate = true}.
     *
     * @throws IllegalArgumentException if the payload exceeds {@link #MAX_PAYLOAD_BYTES}
     */
    EnqueueResult enqueue(JobRequest request);

    /**
     * Enqueues a batch in one round trip (plus one to resolve dedup duplicates, if any). The
     * results are in request order. Requests are validated before anything is sent: one invalid
     * request rejects the whole batch.
     */
    List<EnqueueResult> enqueueAll(List<JobRequest> requests);

    /**
     * Registers {@code listener} to hear of new entries, with their types: those enqueued through
     * this instance at once, and, with {@link QueueConfig#changeStreams()} on a server that has
     * change streams, those inserted by other processes. An empty set means "entries may have
     * arrived unseen, look once". A {@link Supervisor} uses it to wake its idle pollers instead of
     * waiting out their back-off. Listeners must be quick; their exceptions are logged and ignored.
     *
     * @return a handle that unregisters the listener
     */
    default Runnable onEnqueue(java.util.function.Consumer<java.util.Set<String>> listener) {
        return () -> { };
    }

    /** The largest payload accepted, in BSON bytes: MongoDB's 16 MiB document limit less room for the queue's fields. */
    int MAX_PAYLOAD_BYTES = 16 * 1024 * 1024 - 16 * 1024;

    // ---- consuming ----

    /**
     * Claims the most urgent claimable entry of the given types: READY or with an expired lease,
     * visible now; highest priority first, then longest visible. A sorted read of a few candidate
     * ids, then one atomic {@code findOneAndUpdate} on the first candidate still claimable, which
     * hides it for exactly its own visibility timeout. Malformed entries met on the way are
     * quarantined as dead letters, never returned (see {@link #quarantined()}).
     *
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
     */
    List<Lease> claimBatch(Collection<String> types, String workerId, int max);

    /**
     * Claims up to {@code max} entries in claim order across all the given types, taking at most
     * {@code limits.get(type)} entries of each type: the batch claim of a worker whose types have
     * concurrency limits. Priority is respected across types: an urgent entry of a limited type
     * is claimed before a less urgent one of another type. A type with limit 0 is not claimed.
     */
    List<Lease> claimBatch(Map<String, Integer> limits, String workerId, int max);

    /**
     * Completes the job: deletes the entry if the lease still holds.
     *
     * @return true if completed; false if the lease was lost (another worker claimed the entry, or it
     *         was released or completed already), or if a retry after a lost reply finds the entry
     *         gone after the lease's deadline, when the completion may have been another worker's:
     *         the caller must treat its work as not acknowledged
     */
    boolean done(Lease lease);

    /**
     * Moves the lease deadline to now + {@code duration}, or leaves it where it is if that is
     * later already: extensions never shorten a lease, so concurrent extensions of one lease
     * cannot leave a worker believing in a later deadline than the stored one.
     *
     * @return the lease with its new deadline, or empty if the lease was lost
     */
    Optional<Lease> extend(Lease lease, Duration duration);

    /** Extends each lease as {@link #extend} does, in one round trip (two if some were lost). */
    Extension extendAll(Collection<Lease> leases, Duration duration);

    /**
     * Gives up this attempt after a failure: records {@code error}, and makes the entry claimable
     * again after {@code delay}, or dead-letters it if this was its last attempt.
     */
    ReleaseResult release(Lease lease, Duration delay, JobError error);

    /** Dead-letters the entry at once, whatever attempts remain: for failures no retry can fix. */
    ReleaseResult deadLetter(Lease lease, JobError error);

    /**
     * Hands the entry back untouched, claimable at once, without counting the attempt: for a lease
     * whose handler never started (claimed while shutting down, or no thread to run it). A handler
     * that ran and did not finish is a failed attempt: {@link #release} it.
     *
     * @return true if handed back; false if the lease was lost
     */
    boolean giveBack(Lease lease);

    // ---- admin ----

    /** Counts by type and state, and the age of the oldest ready entry; one aggregate round trip. */
    QueueStats stats();

    /** One entry by id, in any state; empty if it does not exist (completed entries are deleted). */
    Optional<JobEntry> get(String id);

    /** The next READY entries in claim order (priority, then visible-at), without claiming them. */
    List<JobEntry> peek(Optional<String> type, int limit);

    /** Dead letters, newest first, {@code limit} from {@code offset}. */
    List<JobEntry> deadLetters(Optional<String> type, int offset, int limit);

    /**
     * Makes a DEAD entry READY now with its attempts reset.
     *
     * @return true if requeued; false if there is no DEAD entry with that id
     * @throws DocJobsException if an unfinished entry already holds the same dedup key
     */
    boolean requeueDead(String id);

    /** Requeues every DEAD entry (of {@code type}, if given); returns how many. */
    long requeueAllDead(Optional<String> type);

    /** Deletes DEAD entries (of {@code type}, if given) dead-lettered before {@code before}; returns how many. */
    long purgeDead(Optional<String> type, Instant before);

    /**
     * Checks that the database answers (one round trip, no retries), for health checks.
     *
     * @throws DatabaseUnavailableException if it does not answer within the operation timeout
     */
    void ping();

    /** A short name for logs and metric tags: {@code database.collection}. */
    String name();

    /** The current database time (local clock + measured server offset). */
    Instant now();

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

    /** Creates the indexes if missing; idempotent, and already done by {@link #connect}. */
    void ensureIndexes();

    /** Releases the client if this queue created it. */
    @Override
    void close();
}
