package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import org.bson.Document;
import org.jspecify.annotations.Nullable;

/**
 * A claimed entry: the right to work on one job until {@link #deadline()}. Immutable; extending a
 * lease returns a new {@code Lease} with the later deadline.
 *
 * <p>The {@link #token()} fences every later operation: {@link JobConsumer#done}, {@link JobConsumer#extend}
 * and {@link JobConsumer#release} apply only while the entry still carries this token, so a worker
 * whose lease expired and was claimed by another can never touch the new owner's lease.
 *
 * <p>The queue makes leases when it claims; handlers get them through {@link JobContext}. Tests
 * build one with {@code io.docjobs.testing.TestLeases}. An interface rather than a class with a
 * public constructor, so the queue's representation is not part of the API. The fenced
 * operations read only {@link #id()}, {@link #token()}, {@link #deadline()} and what they record
 * ({@link #attempt()}, {@link #workerId()}), so a lease made elsewhere works as long as those are
 * right.
 *
 * <p>Equality: the leases docjobs makes (the queue's and {@code TestLeases}') are equal when their
 * {@link #id()} and {@link #token()} are, the identity of the claim, and hash as
 * {@code Objects.hash(id(), token())}: an extended lease equals the one it extends. Their
 * {@code toString()} shows only a prefix of the token, since logs must not hand out the right to
 * complete someone's job.
 */
public interface Lease {

    /** {@return the entry id (24 hex digits)} */
    String id();

    /** {@return the job type, as enqueued} */
    String type();

    /** {@return the payload as text; a document payload is rendered as relaxed JSON} */
    String payload();

    /**
     * {@return the payload as a document (a copy); a text payload is parsed as JSON}
     *
     * @throws IllegalArgumentException if the payload is text that is not a JSON object
     */
    Document payloadDocument();

    /**
     * The payload decoded as {@code target} by the MongoDB driver's codecs (records, POJOs, and
     * what the default codec registry knows), the counterpart of
     * {@link JobProducer#enqueue(String, Object)}. {@code String.class} gives {@link #payload()} and
     * {@code Document.class} {@link #payloadDocument()}. A text payload that holds a JSON object
     * decodes too.
     *
     * @param <T>    the type to decode to
     * @param target the class to decode to
     * @return a new instance on every call
     * @throws NonRetryableException if the payload does not map to {@code target}: the message names
     *                               the job, its type, the class and what is wrong
     */
    default <T> T payloadAs(Class<T> target) {
        return PayloadCodec.payloadAs(target, this::payload, this::payloadDocument, id(), type());
    }

    /** {@return whether the payload was enqueued as a document rather than as text} */
    boolean hasDocumentPayload();

    /** {@return which attempt this is, starting at 1} */
    int attempt();

    /** {@return how many attempts the entry allows in all} */
    int maxAttempts();

    /** {@return whether a failure of this attempt dead-letters the entry instead of retrying it} */
    default boolean isLastAttempt() {
        return attempt() >= maxAttempts();
    }

    /** {@return the fencing token; unguessable and unique to this claim} */
    String token();

    /** {@return the worker id of the claim, as written into the entry; null if the claimer gave none} */
    @Nullable String workerId();

    /** {@return when the lease expires and the entry becomes claimable again (database time)} */
    Instant deadline();

    /** {@return when the entry was enqueued; null for an entry a foreign producer wrote without it} */
    @Nullable Instant enqueuedAt();

    /**
     * {@return when the entry became claimable before this claim: enqueue time plus delay, retry
     * time, or old deadline; null when unknown}
     */
    @Nullable Instant visibleSince();

    /** {@return the entry's visibility timeout: the default length of a claim or an extension} */
    Duration visibilityTimeout();

    /** {@return the entry's priority; higher is claimed first} */
    int priority();

    /** {@return the producer's W3C {@code traceparent}, or null if it enqueued without one} */
    @Nullable String traceparent();
}
