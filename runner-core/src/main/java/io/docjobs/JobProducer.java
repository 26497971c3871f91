package io.docjobs;

import java.time.Duration;
import java.util.List;
import org.bson.Document;

/**
 * The producer's side of a {@link JobQueue}: enqueueing work. An application that only produces
 * depends on this, not on the whole queue.
 *
 * <p>Thread-safe. Transient database errors are retried per {@link QueueConfig}; when they persist
 * a {@link DatabaseUnavailableException} is thrown. Invalid arguments throw
 * {@link IllegalArgumentException} naming the argument, the value and the rule.
 */
public interface JobProducer {

    /** The largest payload accepted, in BSON bytes: MongoDB's 16 MiB document limit less room for the queue's fields. */
    int MAX_PAYLOAD_BYTES = 16 * 1024 * 1024 - 16 * 1024;

    /** {@return a short name for logs and metric tags: {@code database.collection}} */
    String name();

    /**
     * Enqueues one entry. With a dedup key held by an unfinished entry, inserts nothing and returns
     * that entry's id as a {@linkplain EnqueueResult.Status#DUPLICATE duplicate}. Never returns a
     * {@linkplain EnqueueResult.Status#FAILED failed} result: a single request that the database
     * rejects throws {@link DocJobsException}.
     *
     * @param request the job to enqueue
     * @return the new entry's id, or the id of the entry holding the dedup key
     * @throws IllegalArgumentException if the payload exceeds {@link #MAX_PAYLOAD_BYTES}
     */
    EnqueueResult enqueue(JobRequest request);

    /**
     * Enqueues a text payload with the queue's defaults but the visibility timeout.
     *
     * @param type              the job type
     * @param payload           the payload, stored as a string
     * @param visibilityTimeout how long a claim hides the entry; null for the queue's default
     * @return the new entry's id
     */
    default String enqueue(String type, String payload, Duration visibilityTimeout) {
        return enqueue(JobRequest.builder(type).payload(payload).visibilityTimeout(visibilityTimeout).build()).id();
    }

    /**
     * Enqueues a document payload with the queue's defaults but the visibility timeout.
     *
     * @param type              the job type
     * @param payload           the payload, stored as an embedded document
     * @param visibilityTimeout how long a claim hides the entry; null for the queue's default
     * @return the new entry's id
     */
    default String enqueue(String type, Document payload, Duration visibilityTimeout) {
        return enqueue(JobRequest.builder(type).payload(payload).visibilityTimeout(visibilityTimeout).build()).id();
    }

    /**
     * Enqueues {@code payload} with the queue's defaults: a {@code String} as text, a
     * {@link Document} as a document, and anything else (a record, a POJO with a public no-argument
     * constructor and getters/setters, a {@code Map}) encoded to a document by the MongoDB driver's
     * codecs; see {@link JobRequest.Builder#payload(Object)}. A handler reads it back with
     * {@link JobContext#payloadAs(Class)}.
     *
     * @param type    the job type
     * @param payload the payload
     * @return as {@link #enqueue(JobRequest)}
     * @throws IllegalArgumentException if the payload does not encode to a BSON document
     */
    default EnqueueResult enqueue(String type, Object payload) {
        return enqueue(JobRequest.builder(type).payload(payload).build());
    }

    /**
     * Enqueues a batch in one round trip (plus one to resolve dedup duplicates, if any). The
     * results are in request order, one per request, each {@linkplain EnqueueResult.Status#INSERTED
     * inserted}, a {@linkplain EnqueueResult.Status#DUPLICATE duplicate}, or
     * {@linkplain EnqueueResult.Status#FAILED failed} with the database's reason: a failure of some
     * requests does not hide the ids of those inserted. Requests are validated before anything is
     * sent: one invalid request rejects the whole batch with {@link IllegalArgumentException} and
     * nothing is inserted.
     *
     * @param requests the jobs to enqueue
     * @return one result per request, in request order
     * @throws DatabaseUnavailableException if the batch could not be sent (then which requests the
     *                                      server applied is unknown; enqueueing them again with
     *                                      dedup keys is safe)
     */
    List<EnqueueResult> enqueueAll(List<JobRequest> requests);
}
