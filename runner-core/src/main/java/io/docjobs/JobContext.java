package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import org.bson.Document;
import org.jspecify.annotations.Nullable;

/** What a {@link JobHandler} knows about the job it runs, and how it keeps its lease. */
public interface JobContext {

    /** {@return the entry id (24 hex digits), the same on every attempt: a good idempotency key} */
    String id();

    /** {@return the job type the handler was registered for} */
    String type();

    /** {@return the payload as text; a document payload is rendered as relaxed JSON} */
    String payload();

    /**
     * {@return the payload as a document; a text payload is parsed as a JSON object}
     *
     * @throws NonRetryableException if the payload is text that is not a JSON object: retrying
     *                               cannot fix it, so the job is dead-lettered at once
     */
    Document payloadDocument();

    /**
     * The payload decoded as {@code target} by the MongoDB driver's codecs (records, POJOs, and
     * what the default codec registry knows), the counterpart of
     * {@link JobProducer#enqueue(String, Object)}: {@code ctx.payloadAs(Order.class)}.
     * {@code String.class} gives {@link #payload()} and {@code Document.class}
     * {@link #payloadDocument()}; a text payload that holds a JSON object decodes too.
     *
     * @param <T>    the type to decode to
     * @param target the class to decode to
     * @return a new instance on every call
     * @throws NonRetryableException if the payload does not map to {@code target} (the message names
     *                               the job, its type, the class and what is wrong): retrying cannot
     *                               fix it, so thrown out of the handler it dead-letters the job at once
     */
    default <T> T payloadAs(Class<T> target) {
        return PayloadCodec.payloadAs(target, this::payload, this::payloadDocument, id(), type());
    }

    /** {@return which attempt this is, starting at 1} */
    int attempt();

    /** {@return the attempts allowed: when this one is the last, a failure dead-letters the job} */
    int maxAttempts();

    /** {@return the current lease deadline (database time); it moves later with every extension} */
    Instant deadline();

    /** {@return when the job was enqueued (database time)} */
    Instant enqueuedAt();

    /** {@return the id of the worker running the job, as written into the lease} */
    String workerId();

    /**
     * Extends the lease to now + {@code duration} at once, beyond what the heartbeat does (never
     * shortening it). One database round trip, on the handler's thread.
     *
     * @param duration how long from now the lease should run, at most {@link JobRequest#MAX_VISIBILITY_TIMEOUT}
     * @return false if the job is no longer this handler's (lease lost, time-out passed, or
     *         abandoned at shutdown): stop working, the result will be discarded
     */
    boolean extendLease(Duration duration);

    /** {@return the producer's W3C {@code traceparent}, or null if it enqueued without one} */
    default @Nullable String traceparent() {
        return null;
    }

    /** {@return whether another worker may now own this job: the result will be discarded} */
    boolean isLeaseLost();

    /**
     * {@return whether the handler should stop: lease lost, time-out passed, shutdown past its drain
     * time, or an operator cancelled the job ({@link JobAdmin#cancel}, seen at the next heartbeat).
     * The handler's thread is interrupted too; whatever it returns is discarded}
     */
    boolean isCancelled();
}
