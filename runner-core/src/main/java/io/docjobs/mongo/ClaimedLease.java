package io.docjobs.mongo;

import io.docjobs.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.bson.BsonInvalidOperationException;
import org.bson.Document;
import org.bson.json.JsonParseException;
import org.jspecify.annotations.Nullable;

/** The queue's {@link Lease}: what a claim read back from the entry. */
final class ClaimedLease implements Lease {
    private final String id;
    private final String type;
    private final @Nullable String payloadText;
    private final @Nullable Document payloadDocument;
    private final int attempt;
    private final int maxAttempts;
    private final String token;
    private final @Nullable String workerId;
    private final Instant deadline;
    private final @Nullable Instant enqueuedAt;
    private final @Nullable Instant visibleSince;
    private final Duration visibilityTimeout;
    private final int priority;
    private final @Nullable String traceparent;

    /** Exactly one of {@code payloadText} and {@code payloadDocument} is set. */
    ClaimedLease(String id, String type, @Nullable String payloadText, @Nullable Document payloadDocument, int attempt,
            int maxAttempts, String token, @Nullable String workerId, Instant deadline, @Nullable Instant enqueuedAt,
            @Nullable Instant visibleSince, Duration visibilityTimeout, int priority, @Nullable String traceparent) {
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
        this.visibilityTimeout = Objects.requireNonNull(visibilityTimeout, "visibilityTimeout");
        this.priority = priority;
        this.traceparent = traceparent;
    }

    /**
     * {@code lease} with a new deadline, as an extension returns it. Any {@link Lease} is accepted,
     * not only the queue's own: the lease protocol reads it through the interface.
     */
    static Lease withDeadline(Lease lease, Instant newDeadline) {
        if (lease instanceof ClaimedLease own) {
            return new ClaimedLease(own.id, own.type, own.payloadText, own.payloadDocument, own.attempt, own.maxAttempts,
                    own.token, own.workerId, newDeadline, own.enqueuedAt, own.visibleSince, own.visibilityTimeout,
                    own.priority, own.traceparent);
        }
        boolean document = lease.hasDocumentPayload();
        return new ClaimedLease(lease.id(), lease.type(), document ? null : lease.payload(),
                document ? lease.payloadDocument() : null, lease.attempt(), lease.maxAttempts(), lease.token(),
                lease.workerId(), newDeadline, lease.enqueuedAt(), lease.visibleSince(), lease.visibilityTimeout(),
                lease.priority(), lease.traceparent());
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String type() {
        return type;
    }

    @Override
    public String payload() {
        return payloadText != null ? payloadText : payloadDocument == null ? "" : payloadDocument.toJson();
    }

    @Override
    public Document payloadDocument() {
        if (payloadDocument != null) {
            return new Document(payloadDocument);
        }
        try {
            return Document.parse(payloadText == null ? "" : payloadText);
        } catch (JsonParseException | BsonInvalidOperationException e) {
            throw new IllegalArgumentException("payload of job " + id + " (type \"" + type
                    + "\") is text, not a JSON object: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean hasDocumentPayload() {
        return payloadDocument != null;
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public int maxAttempts() {
        return maxAttempts;
    }

    @Override
    public String token() {
        return token;
    }

    @Override
    public @Nullable String workerId() {
        return workerId;
    }

    @Override
    public Instant deadline() {
        return deadline;
    }

    @Override
    public @Nullable Instant enqueuedAt() {
        return enqueuedAt;
    }

    @Override
    public @Nullable Instant visibleSince() {
        return visibleSince;
    }

    @Override
    public Duration visibilityTimeout() {
        return visibilityTimeout;
    }

    @Override
    public int priority() {
        return priority;
    }

    @Override
    public @Nullable String traceparent() {
        return traceparent;
    }

    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof Lease lease && lease.id().equals(id) && lease.token().equals(token);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, token);
    }

    @Override
    public String toString() {
        return "Lease{id=" + id + ", type=" + type + ", attempt=" + attempt + "/" + maxAttempts + ", worker=" + workerId
                + ", deadline=" + deadline + ", token=" + token.substring(0, Math.min(6, token.length())) + "…}";
    }
}
