package io.docjobs.testing;

import io.docjobs.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import org.bson.BsonInvalidOperationException;
import org.bson.Document;
import org.bson.json.JsonParseException;
import org.jspecify.annotations.Nullable;

/**
 * What {@link TestLeases} builds. A record for brevity; equality, hash and text follow
 * {@link Lease}'s contract (id and token only; a token prefix in the text) instead of the record's.
 * Exactly one of {@code payloadText} and {@code payloadDocument} is set.
 */
record TestLease(String id, String type, @Nullable String payloadText, @Nullable Document payloadDocument,
        int attempt, int maxAttempts, String token, @Nullable String workerId, Instant deadline,
        @Nullable Instant enqueuedAt, @Nullable Instant visibleSince, Duration visibilityTimeout, int priority,
        @Nullable String traceparent) implements Lease {

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
