package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.bson.Document;
import org.bson.json.JsonParseException;

/**
 * A claimed entry: the right to work on one job until {@link #deadline()}. Immutable; extending a
 * lease returns a new {@code Lease} with the later deadline.
 *
 * <p>The {@link #token()} fences every later operation: {@link JobQueue#done}, {@link JobQueue#extend}
 * and {@link JobQueue#release} apply only while the entry still carries this token, so a worker
 * whose lease expired and was claimed by another can never touch the new owner's lease.
 */
public final class Lease {
    private final String id;
    private final String type;
    private final String payloadText;
    private final Document payloadDocument;
    private final int attempt;
    private final int maxAttempts;
    private final String token;
    private final String workerId;
    private final Instant deadline;
    private final Instant enqueuedAt;
    private final Instant visibleSince;
    private final Duration visibilityTimeout;
    private final int priority;
    private final String traceparent;

    /**
     * Creates a lease; called by queue implementations (and test doubles), not by handlers.
     *
     * @param payloadText     the text payload, or null when {@code payloadDocument} is set
     * @param payloadDocument the document payload, or null when {@code payloadText} is set
     * @param visibleSince    when the entry became claimable before this claim (for queue-wait time)
     */
    public Lease(String id, String type, String payloadText, Document payloadDocument, int attempt, int maxAttempts,
            String token, String workerId, Instant deadline, Instant enqueuedAt, Instant visibleSince,
            Duration visibilityTimeout, int priority) {
        this(id, type, payloadText, payloadDocument, attempt, maxAttempts, token, workerId, deadline, enqueuedAt,
                visibleSince, visibilityTimeout, priority, null);
    }

    /** As above, with the producer's W3C trace context ({@code traceparent}, may be null). */
    public Lease(String id, String type, String payloadText, Document payloadDocument, int attempt, int maxAttempts,
            String token, String workerId, Instant deadline, Instant enqueuedAt, Instant visibleSince,
            Duration visibilityTimeout, int priority, String traceparent) {
        this.id = Objects.requireNonNull(id, "id");
        this.type = Objects.requireNonNull(type, "type");
        this.payloadText = payloadText;
        this.payloadDocument = payloadDocument;
        this.attempt = attempt;
        this.maxAttempts = maxAttempts;
        this.token = Objects.requireNonNull(token, "token");
        this.workerId = workerId;
        this.deadline = Objects.requireNonNull(deadline, "deadline");
        this.enqueuedAt = enqueuedAt;
        this.visibleSince = visibleSince;
        this.visibilityTimeout = visibilityTimeout;
        this.priority = priority;
        this.traceparent = traceparent;
    }

    /** The entry id (24 hex digits). */
    public String id() {
        return id;
    }

    public String type() {
        return type;
    }

    /** The payload as text; a document payload is rendered as relaxed JSON. */
    public String payload() {
        return payloadText != null ? payloadText : payloadDocument == null ? "" : payloadDocument.toJson();
    }

    /**
     * The payload as a document; a text payload is parsed as JSON.
     *
     * @throws IllegalArgumentException if the payload is text that is not a JSON object
     */
    public Document payloadDocument() {
        if (payloadDocument != null) {
            return new Document(payloadDocument);
        }
        try {
            return Document.parse(payloadText);
        } catch (JsonParseException | org.bson.BsonInvalidOperationException e) {
            throw new IllegalArgumentException("payload of job " + id + " (type \"" + type
                    + "\") is text, not a JSON object: " + e.getMessage(), e);
        }
    }

    /**
     * The payload decoded as {@code target} by the MongoDB driver's codecs (records, POJOs, and
     * what the default codec registry knows), the counterpart of
     * {@link JobProducer#enqueue(String, Object)}. {@code String.class} gives {@link #payload()} and
     * {@code Document.class} {@link #payloadDocument()}. A text payload that holds a JSON object
     * decodes too.
     *
     * @throws NonRetryableException if the payload does not map to {@code target}: the message names
     *                               the job, its type, the class and what is wrong
     */
    public <T> T payloadAs(Class<T> target) {
        if (target == String.class) {
            return target.cast(payload());
        }
        Document document;
        try {
            document = payloadDocument();
        } catch (IllegalArgumentException e) {
            throw new NonRetryableException(e.getMessage() + "; cannot decode it as " + target.getName(), e);
        }
        return target == Document.class ? target.cast(document) : PayloadCodec.decode(document, target, id, type);
    }

    /** Whether the payload was enqueued as a document rather than as text. */
    public boolean hasDocumentPayload() {
        return payloadDocument != null;
    }

    /** Which attempt this is, starting at 1. */
    public int attempt() {
        return attempt;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    /** Whether a failure of this attempt dead-letters the entry instead of retrying it. */
    public boolean isLastAttempt() {
        return attempt >= maxAttempts;
    }

    /** The fencing token; unguessable and unique to this claim. */
    public String token() {
        return token;
    }

    public String workerId() {
        return workerId;
    }

    /** When the lease expires and the entry becomes claimable again (database time). */
    public Instant deadline() {
        return deadline;
    }

    public Instant enqueuedAt() {
        return enqueuedAt;
    }

    /** When the entry became claimable before this claim: enqueue time plus delay, retry time, or old deadline. */
    public Instant visibleSince() {
        return visibleSince;
    }

    /** The entry's visibility timeout: the default length of a claim or an extension. */
    public Duration visibilityTimeout() {
        return visibilityTimeout;
    }

    public int priority() {
        return priority;
    }

    /** The producer's W3C {@code traceparent}, or null if it enqueued without one. */
    public String traceparent() {
        return traceparent;
    }

    /** This lease with a new deadline, as returned by an extension. */
    public Lease withDeadline(Instant newDeadline) {
        return new Lease(id, type, payloadText, payloadDocument, attempt, maxAttempts, token, workerId, newDeadline,
                enqueuedAt, visibleSince, visibilityTimeout, priority, traceparent);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Lease lease && lease.id.equals(id) && lease.token.equals(token);
    }

    /** Identity is the claim (entry id and token): an extended lease equals the one it extends. */
    @Override
    public int hashCode() {
        return Objects.hash(id, token);
    }

    /** Shows only a prefix of the token: logs must not hand out the right to ack someone's job. */
    @Override
    public String toString() {
        return "Lease{id=" + id + ", type=" + type + ", attempt=" + attempt + "/" + maxAttempts + ", worker=" + workerId
                + ", deadline=" + deadline + ", token=" + token.substring(0, Math.min(6, token.length())) + "…}";
    }
}
