package io.docjobs.testing;

import io.docjobs.Lease;
import io.docjobs.mongo.MongoQueues;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.jspecify.annotations.Nullable;

/**
 * Builds {@link Lease}s for tests of handlers and of code that takes a lease, without a queue:
 * {@code TestLeases.builder().type("email").payload("{\"to\":\"a@example.com\"}").attempt(2).build()}.
 *
 * <p>Every field has a default, so a test sets only what it is about: a fresh id, type
 * {@value #DEFAULT_TYPE}, an empty text payload, attempt 1 of {@value #DEFAULT_MAX_ATTEMPTS}, a
 * random token, worker {@value #DEFAULT_WORKER_ID}, enqueued and visible at the epoch, a visibility
 * timeout of 30 s and a deadline that long after the epoch, priority 0, no trace context. A lease
 * built here follows {@link Lease}'s equality contract, so it equals the queue's lease for the same
 * id and token.
 */
public final class TestLeases {
    /** The default job type. */
    public static final String DEFAULT_TYPE = "test";
    /** The default number of attempts allowed. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    /** The default worker id. */
    public static final String DEFAULT_WORKER_ID = "test-worker";
    /** The default visibility timeout, and the default deadline's distance from the epoch. */
    public static final Duration DEFAULT_VISIBILITY_TIMEOUT = Duration.ofSeconds(30);

    private TestLeases() {
    }

    /** Bad arguments are {@link IllegalArgumentException}s, as everywhere in docjobs. */
    private static <T> T given(@Nullable T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " was null but must be given");
        }
        return value;
    }

    /** {@return a builder with every field at its default} */
    public static Builder builder() {
        return new Builder();
    }

    /** Sets the fields of a test lease; not thread-safe, and reusable: each {@link #build()} is independent. */
    public static final class Builder {
        private String id = new ObjectId().toHexString();
        private String type = DEFAULT_TYPE;
        private @Nullable String payloadText = "";
        private @Nullable Document payloadDocument;
        private int attempt = 1;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private String token = UUID.randomUUID().toString();
        private @Nullable String workerId = DEFAULT_WORKER_ID;
        private Instant deadline = Instant.EPOCH.plus(DEFAULT_VISIBILITY_TIMEOUT);
        private @Nullable Instant enqueuedAt = Instant.EPOCH;
        private @Nullable Instant visibleSince = Instant.EPOCH;
        private Duration visibilityTimeout = DEFAULT_VISIBILITY_TIMEOUT;
        private int priority;
        private @Nullable String traceparent;

        private Builder() {
        }

        /**
         * The entry id; default a fresh ObjectId's 24 hex digits.
         *
         * @param id not null; any text, though the queue makes 24 hex digits
         * @return this builder
         */
        public Builder id(String id) {
            this.id = given(id, "id");
            return this;
        }

        /**
         * The job type; default {@value TestLeases#DEFAULT_TYPE}.
         *
         * @param type not null
         * @return this builder
         */
        public Builder type(String type) {
            this.type = given(type, "type");
            return this;
        }

        /**
         * A text payload, replacing any document payload; default empty text.
         *
         * @param text not null
         * @return this builder
         */
        public Builder payload(String text) {
            this.payloadText = given(text, "text");
            this.payloadDocument = null;
            return this;
        }

        /**
         * A document payload (copied), replacing any text payload.
         *
         * @param document not null
         * @return this builder
         */
        public Builder payload(Document document) {
            this.payloadDocument = new Document(given(document, "document"));
            this.payloadText = null;
            return this;
        }

        /**
         * Which attempt the lease is, from 1; default 1.
         *
         * @param attempt not checked, so a test can build an inconsistent lease on purpose
         * @return this builder
         */
        public Builder attempt(int attempt) {
            this.attempt = attempt;
            return this;
        }

        /**
         * Attempts allowed in all; default {@value TestLeases#DEFAULT_MAX_ATTEMPTS}.
         *
         * @param maxAttempts not checked, as {@code attempt}
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * The fencing token; default a random UUID.
         *
         * @param token not null
         * @return this builder
         */
        public Builder token(String token) {
            this.token = given(token, "token");
            return this;
        }

        /**
         * The claiming worker's id, or null for none; default {@value TestLeases#DEFAULT_WORKER_ID}.
         *
         * @param workerId any text, or null
         * @return this builder
         */
        public Builder workerId(@Nullable String workerId) {
            this.workerId = workerId;
            return this;
        }

        /**
         * When the lease expires; default 30 s after the epoch.
         *
         * @param deadline not null
         * @return this builder
         */
        public Builder deadline(Instant deadline) {
            this.deadline = given(deadline, "deadline");
            return this;
        }

        /**
         * When the entry was enqueued, or null for unknown; default the epoch.
         *
         * @param enqueuedAt any instant, or null
         * @return this builder
         */
        public Builder enqueuedAt(@Nullable Instant enqueuedAt) {
            this.enqueuedAt = enqueuedAt;
            return this;
        }

        /**
         * When the entry became claimable before this claim, or null for unknown; default the epoch.
         *
         * @param visibleSince any instant, or null
         * @return this builder
         */
        public Builder visibleSince(@Nullable Instant visibleSince) {
            this.visibleSince = visibleSince;
            return this;
        }

        /**
         * The entry's visibility timeout; default 30 s.
         *
         * @param visibilityTimeout not null
         * @return this builder
         */
        public Builder visibilityTimeout(Duration visibilityTimeout) {
            this.visibilityTimeout = given(visibilityTimeout, "visibilityTimeout");
            return this;
        }

        /**
         * The entry's priority; default 0.
         *
         * @param priority any int
         * @return this builder
         */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        /**
         * The producer's W3C {@code traceparent}, or null for none (the default).
         *
         * @param traceparent not checked; null for none
         * @return this builder
         */
        public Builder traceparent(@Nullable String traceparent) {
            this.traceparent = traceparent;
            return this;
        }

        /** {@return a lease with the fields as set now; immutable, and independent of later changes to this builder} */
        public Lease build() {
            return MongoQueues.lease(id, type, payloadText, payloadDocument == null ? null : new Document(payloadDocument),
                    attempt, maxAttempts, token, workerId, deadline, enqueuedAt, visibleSince, visibilityTimeout,
                    priority, traceparent);
        }
    }
}
