package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.bson.json.JsonParseException;
import org.jspecify.annotations.Nullable;

// Over 300 lines: one record with ten components, the constructor that checks them all at once, and
// a builder with a setter per component; the length is the Javadoc every public member carries.
/**
 * One job to enqueue. Build with {@link #builder(String)}; validated when built, reporting every
 * problem at once.
 *
 * <p>The payload is either text ({@link #payloadText()}) or a BSON document
 * ({@link #payloadDocument()}), never both. Unset optional values take the queue's defaults:
 * {@code visibilityTimeout} and {@code maxAttempts} from {@link QueueConfig}; no delay; priority 0.
 *
 * @param type              the message type that selects the handler; not blank, at most
 *                          {@value #MAX_TYPE_LENGTH} characters
 * @param payloadText       the payload as text, or null when the payload is a document
 * @param payloadDocument   the payload as a document, or null when the payload is text
 * @param visibilityTimeout how long a claim hides the entry; null for the queue default; more
 *                          than zero and at most {@link #MAX_VISIBILITY_TIMEOUT}
 * @param delay             how long after enqueue the entry becomes claimable; zero to
 *                          {@link #MAX_DELAY}
 * @param notBefore         an absolute earliest claim time, or null; from {@link #EARLIEST_NOT_BEFORE}
 *                          to {@link #LATEST_NOT_BEFORE}; combined with {@code delay} the later of
 *                          the two wins
 * @param priority          higher is claimed first; default 0
 * @param maxAttempts       how many claims before the entry is dead-lettered; null for the queue
 *                          default; at least 1
 * @param dedupKey          optional: while an unfinished entry holds this key, enqueueing another
 *                          with the same key inserts nothing and returns the first entry's id.
 *                          Keys are unique per queue, across types: put the type in the key to
 *                          scope it to one type
 * @param traceparent       optional: the producer's W3C trace context, carried in the entry so the
 *                          handler's span joins the producer's trace
 */
public record JobRequest(
        String type,
        @Nullable String payloadText,
        @Nullable Document payloadDocument,
        @Nullable Duration visibilityTimeout,
        Duration delay,
        @Nullable Instant notBefore,
        int priority,
        @Nullable Integer maxAttempts,
        @Nullable String dedupKey,
        @Nullable String traceparent) {

    /** The longest visibility timeout accepted, as for Amazon SQS: 12 hours. */
    public static final Duration MAX_VISIBILITY_TIMEOUT = Duration.ofHours(12);
    /**
     * The longest delay accepted: 100 years (36525 days), enough for any retention period, and
     * far from the limits of BSON dates (milliseconds since 1970 in a {@code long}).
     */
    public static final Duration MAX_DELAY = Duration.ofDays(36_525);
    /**
     * The earliest {@code notBefore} accepted: 1970-01-01. With {@link #LATEST_NOT_BEFORE} the range
     * of dates MongoDB's Extended JSON shows as ISO-8601 text; a time outside it is a bug, not a plan.
     */
    public static final Instant EARLIEST_NOT_BEFORE = Instant.EPOCH;
    /** The latest {@code notBefore} accepted: the last millisecond of year 9999. */
    public static final Instant LATEST_NOT_BEFORE = Instant.parse("9999-12-31T23:59:59.999Z");
    /** The longest type name accepted. */
    public static final int MAX_TYPE_LENGTH = 200;
    /** The longest dedup key accepted. */
    public static final int MAX_DEDUP_KEY_LENGTH = 512;

    /**
     * Checks every value against the rules above and defaults a null {@code delay} to zero.
     *
     * @param type              the job type
     * @param payloadText       the text payload, or null
     * @param payloadDocument   the document payload, or null
     * @param visibilityTimeout the lease length, or null for the queue's
     * @param delay             the wait before the first claim; null for none
     * @param notBefore         the earliest claim time, or null
     * @param priority          higher first
     * @param maxAttempts       the claims allowed, or null for the queue's
     * @param dedupKey          the dedup key, or null
     * @param traceparent       the producer's trace context, or null
     * @throws IllegalArgumentException naming every invalid value
     */
    public JobRequest {
        List<String> problems = new ArrayList<>();
        if (type == null || type.isBlank()) {
            problems.add("type was " + quote(type) + " but must be a non-blank message type such as \"email.send\"");
        } else if (type.length() > MAX_TYPE_LENGTH) {
            problems.add("type was " + type.length() + " characters long but must be at most " + MAX_TYPE_LENGTH);
        }
        if (payloadText == null && payloadDocument == null) {
            problems.add("payload was null but must be given (use \"\" or an empty document for no data)");
        }
        if (payloadText != null && payloadDocument != null) {
            problems.add("payload was given both as text and as a document; give exactly one");
        }
        if (visibilityTimeout != null) {
            checkVisibilityTimeout("visibilityTimeout", visibilityTimeout, problems);
        }
        delay = delay == null ? Duration.ZERO : delay;
        Bounds.zeroOrPositive("delay", delay, "", MAX_DELAY, "that is about 100 years", problems);
        if (notBefore != null && (notBefore.isBefore(EARLIEST_NOT_BEFORE) || notBefore.isAfter(LATEST_NOT_BEFORE))) {
            problems.add("notBefore was " + notBefore + " but must be between " + EARLIEST_NOT_BEFORE + " and "
                    + LATEST_NOT_BEFORE + " (or null for none)");
        }
        if (maxAttempts != null && maxAttempts < 1) {
            problems.add("maxAttempts was " + maxAttempts + " but must be at least 1");
        }
        if (dedupKey != null && (dedupKey.isBlank() || dedupKey.length() > MAX_DEDUP_KEY_LENGTH)) {
            problems.add("dedupKey was " + quote(abbreviate(dedupKey)) + " but must be null or non-blank and at most "
                    + MAX_DEDUP_KEY_LENGTH + " characters");
        }
        if (traceparent != null && !isTraceparent(traceparent)) {
            problems.add("traceparent was " + quote(abbreviate(traceparent)) + " but must be null or a W3C trace"
                    + " context header such as 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid job request" + (type == null || type.isBlank() ? "" : " of type \"" + type + "\"")
                    + ": " + String.join("; ", problems));
        }
    }

    /** A W3C {@code traceparent}: version 00, a trace id and a parent span id (neither all zero), flags. */
    private static final java.util.regex.Pattern TRACEPARENT =
            java.util.regex.Pattern.compile("00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

    /**
     * {@return whether {@code value} is a valid W3C {@code traceparent} header (version 00)}
     *
     * @param value the header value; null is not valid
     */
    public static boolean isTraceparent(String value) {
        return value != null && TRACEPARENT.matcher(value).matches();
    }

    static void checkVisibilityTimeout(String name, Duration timeout, List<String> problems) {
        Bounds.positiveMillis(name, timeout, MAX_VISIBILITY_TIMEOUT,
                "for longer jobs keep a shorter timeout and extend the lease while working", problems);
    }

    /**
     * {@return a builder for a job of {@code type}; the type is checked by {@link Builder#build()}}
     *
     * @param type the job type
     */
    public static Builder builder(String type) {
        return new Builder(type);
    }

    /** {@return the payload as text: the text payload itself, or the document rendered as relaxed JSON} */
    public String payloadAsText() {
        return payloadText != null ? payloadText : payloadDocument.toJson();
    }

    private static String quote(String value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    private static String abbreviate(String value) {
        return value.length() <= 40 ? value : value.substring(0, 40) + "…";
    }

    /** Builds a {@link JobRequest}; every setter is optional except the payload. */
    public static final class Builder {
        private final String type;
        private String payloadText;
        private Document payloadDocument;
        private Duration visibilityTimeout;
        private Duration delay = Duration.ZERO;
        private Instant notBefore;
        private int priority;
        private Integer maxAttempts;
        private String dedupKey;
        private String traceparent;

        private Builder(String type) {
            this.type = type;
        }

        /**
         * A text payload, stored as a string; replaces any payload set before.
         *
         * @param text the payload; {@code ""} for no data
         * @return this builder
         */
        public Builder payload(String text) {
            this.payloadText = text;
            this.payloadDocument = null;
            return this;
        }

        /**
         * A document payload, stored as an embedded BSON document (queryable, compact); copied now.
         *
         * @param document the payload
         * @return this builder
         */
        public Builder payload(Document document) {
            this.payloadDocument = document == null ? null : new Document(document);
            this.payloadText = null;
            return this;
        }

        /**
         * A typed payload: a {@code String} is stored as text and a {@link Document} as a document,
         * as by the other {@code payload} methods; anything else (a record, a POJO with a public
         * no-argument constructor and getters/setters, a {@code Map}) is encoded now to a document
         * by the MongoDB driver's codecs, to be read back with {@link JobContext#payloadAs(Class)}.
         *
         * @param value the payload
         * @return this builder
         * @throws IllegalArgumentException if {@code value} does not encode to a BSON document
         */
        public Builder payload(Object value) {
            if (value == null || value instanceof String) {
                return payload((String) value);
            }
            if (value instanceof Document document) {
                return payload(document);
            }
            return payload(PayloadCodec.encode(type, value));
        }

        /**
         * A JSON object payload, parsed now and stored as a document.
         *
         * @param json a JSON object
         * @return this builder
         * @throws IllegalArgumentException if {@code json} is not a JSON object
         */
        public Builder jsonPayload(String json) {
            if (json == null) {
                throw new IllegalArgumentException("json payload was null but must be a JSON object such as {\"orderId\": 42}");
            }
            try {
                return payload(Document.parse(json));
            } catch (JsonParseException | org.bson.BsonInvalidOperationException e) {
                throw new IllegalArgumentException("payload is not a valid JSON object (" + e.getMessage()
                        + "): " + abbreviate(json) + "; send it as text with payload(String) if it is not JSON", e);
            }
        }

        /**
         * How long a claim hides the entry; default null, the queue's {@link QueueConfig#defaultVisibilityTimeout()}.
         *
         * @param timeout from 1 ms to {@link #MAX_VISIBILITY_TIMEOUT}, or null
         * @return this builder
         */
        public Builder visibilityTimeout(@Nullable Duration timeout) {
            this.visibilityTimeout = timeout;
            return this;
        }

        /**
         * How long after the enqueue the entry becomes claimable; default zero.
         *
         * @param delay from zero to {@link #MAX_DELAY}
         * @return this builder
         */
        public Builder delay(Duration delay) {
            this.delay = delay;
            return this;
        }

        /**
         * The earliest claim time; default null (none); with a delay, the later of the two wins.
         *
         * @param notBefore database time, or null
         * @return this builder
         */
        public Builder notBefore(@Nullable Instant notBefore) {
            this.notBefore = notBefore;
            return this;
        }

        /**
         * Higher is claimed first, among the entries visible now; default 0.
         *
         * @param priority any int
         * @return this builder
         */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        /**
         * How many claims before the entry is dead-lettered; default the queue's {@link
         * QueueConfig#defaultMaxAttempts()}.
         *
         * @param maxAttempts at least 1
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * While an unfinished entry holds this key, another enqueue with it inserts nothing; default null (none).
         *
         * @param dedupKey non-blank, at most {@value #MAX_DEDUP_KEY_LENGTH} characters, unique across types, or null
         * @return this builder
         */
        public Builder dedupKey(@Nullable String dedupKey) {
            this.dedupKey = dedupKey;
            return this;
        }

        /**
         * The producer's trace context as a W3C {@code traceparent} header; the handler's span
         * becomes its child. Null (the default) takes the queue's {@link QueueConfig#traceparent()}
         * supplier, if any.
         *
         * @param traceparent a {@code traceparent} header value, or null
         * @return this builder
         */
        public Builder traceparent(@Nullable String traceparent) {
            this.traceparent = traceparent;
            return this;
        }

        /**
         * {@return the request}
         *
         * @throws IllegalArgumentException naming every invalid value
         */
        public JobRequest build() {
            return new JobRequest(type, payloadText, payloadDocument, visibilityTimeout, delay, notBefore,
                    priority, maxAttempts, dedupKey, traceparent);
        }
    }
}
