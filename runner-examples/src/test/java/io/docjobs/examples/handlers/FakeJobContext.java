package io.docjobs.examples.handlers;

import io.docjobs.JobContext;
import io.docjobs.NonRetryableException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import org.bson.BsonInvalidOperationException;
import org.bson.Document;
import org.bson.json.JsonParseException;

/** A {@link JobContext} for calling handlers directly: fixed id, payload and attempt; cancellation on demand. */
final class FakeJobContext implements JobContext {
    private final String id;
    private final String type;
    private final String payload;
    private final int attempt;
    private final BooleanSupplier cancelled;

    private FakeJobContext(String id, String type, String payload, int attempt, BooleanSupplier cancelled) {
        this.id = id;
        this.type = type;
        this.payload = payload;
        this.attempt = attempt;
        this.cancelled = cancelled;
    }

    static FakeJobContext of(String id, String type, String payload) {
        return new FakeJobContext(id, type, payload, 1, () -> false);
    }

    FakeJobContext attempt(int attempt) {
        return new FakeJobContext(id, type, payload, attempt, cancelled);
    }

    /** The same job, reporting cancellation whenever {@code cancelled} says so (asked on every check). */
    FakeJobContext cancelledWhen(BooleanSupplier cancelled) {
        return new FakeJobContext(id, type, payload, attempt, cancelled);
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
        return payload;
    }

    @Override
    public Document payloadDocument() {
        try {
            return Document.parse(payload); // as the supervisor does: bad JSON is not retryable
        } catch (JsonParseException | BsonInvalidOperationException e) {
            throw new NonRetryableException("payload of job " + id + " is not a JSON object", e);
        }
    }

    @Override
    public int attempt() {
        return attempt;
    }

    @Override
    public int maxAttempts() {
        return 5;
    }

    @Override
    public Instant deadline() {
        return Instant.now().plusSeconds(30);
    }

    @Override
    public Instant enqueuedAt() {
        return Instant.EPOCH;
    }

    @Override
    public String workerId() {
        return "test-worker";
    }

    @Override
    public boolean extendLease(Duration duration) {
        return !cancelled.getAsBoolean();
    }

    @Override
    public boolean isLeaseLost() {
        return false;
    }

    @Override
    public boolean isCancelled() {
        return cancelled.getAsBoolean();
    }
}
