package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.ATTEMPTS;
import static io.docjobs.mongo.Entries.DEDUP_KEY;
import static io.docjobs.mongo.Entries.ENQUEUED_AT;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.MAX_ATTEMPTS;
import static io.docjobs.mongo.Entries.PAYLOAD;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VERSION;
import static io.docjobs.mongo.Entries.VISIBILITY_MS;
import static io.docjobs.mongo.Entries.WORKER_ID;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.client.model.Projections;
import io.docjobs.JobRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * What a valid entry is, as the README's "Schema" section states it for producers in any
 * language. Required: {@code type} (string), {@code state} ({@code "ready"}), {@code visibleAt}
 * (date), and an ObjectId {@code _id}. Optional, with the default used when absent or null:
 * {@code payload} (string or document; ""), {@code priority} (0), {@code attempts} (0),
 * {@code maxAttempts} (the queue's default), {@code visibilityMs} (the queue's default),
 * {@code enqueuedAt} (date; none), {@code dedupKey} and {@code activeDedupKey} (strings; none) and
 * {@code v}, the schema version (1). Numbers may be int32, int64 or doubles without a fraction.
 *
 * <p>An entry the claim filter matches but that breaks these rules is quarantined, never leased.
 * Entries without a string {@code type}, a {@code state} of ready or leased, or a date
 * {@code visibleAt} never match the claim filter: claims do not see them at all.
 */
final class EntrySchema {
    /** The schema version this docjobs writes, and the highest it reads. */
    static final int CURRENT_VERSION = 1;

    /** What a claim reads of each candidate: enough to judge it before leasing; the full entry is judged after. */
    static final Bson CANDIDATE_FIELDS = Projections.include(ID, TYPE, STATE, VISIBLE_AT, PRIORITY, ATTEMPTS,
            MAX_ATTEMPTS, VISIBILITY_MS, VERSION, WORKER_ID);

    static final String PREFIX = "malformed entry: ";
    private static final String ADVICE = " (see \"Schema\" in the docjobs README; fix the producer, then purge this"
            + " dead letter, or correct the field and requeue it)";
    private static final int MAX_RENDERED = 100;

    private final Duration defaultVisibilityTimeout;
    private final int defaultMaxAttempts;

    EntrySchema(Duration defaultVisibilityTimeout, int defaultMaxAttempts) {
        this.defaultVisibilityTimeout = defaultVisibilityTimeout;
        this.defaultMaxAttempts = defaultMaxAttempts;
    }

    /**
     * What is wrong with an entry a claim found claimable, as the message of its dead letter; null
     * if nothing. Judges every field the document holds, so a projection is judged on what it
     * holds. State, type and visible-at are judged again although the claim filter matched them,
     * since a filter also matches an array that contains a match.
     */
    String problems(Document entry) {
        List<String> problems = new ArrayList<>();
        Object version = entry.get(VERSION);
        if (version != null) {
            Long v = integral(version);
            if (v != null && v > CURRENT_VERSION) {
                // A newer schema may differ anywhere: the version is the only problem worth naming.
                return PREFIX + was(VERSION, version, "at most " + CURRENT_VERSION + ": this docjobs reads schema version "
                        + CURRENT_VERSION + "; upgrade docjobs on every worker of this queue, then requeue the entry");
            }
            if (v == null || v < 1) {
                problems.add(was(VERSION, version, "the schema version, " + CURRENT_VERSION));
            }
        }
        Object id = entry.get(ID);
        if (!(id instanceof ObjectId)) {
            problems.add(was(ID, id, "an ObjectId (leave _id out and the driver makes one)"));
        }
        if (!(entry.get(TYPE) instanceof String)) {
            problems.add(was(TYPE, entry.get(TYPE), "a string, the message type"));
        }
        if (!(entry.get(STATE) instanceof String)) {
            problems.add(was(STATE, entry.get(STATE), "the string \"ready\""));
        }
        if (!(entry.get(VISIBLE_AT) instanceof Date)) {
            problems.add(was(VISIBLE_AT, entry.get(VISIBLE_AT), "a date"));
        }
        Object payload = entry.get(PAYLOAD);
        if (payload != null && !(payload instanceof String) && !(payload instanceof Document)) {
            problems.add(was(PAYLOAD, payload, "a string or an embedded document"));
        }
        checkInt(entry, PRIORITY, Integer.MIN_VALUE, "a 32-bit whole number", problems);
        checkInt(entry, ATTEMPTS, 0, "a whole number of attempts so far, 0 or more", problems);
        checkInt(entry, MAX_ATTEMPTS, 1, "a whole number of attempts allowed, 1 or more", problems);
        if (READY.equals(entry.get(STATE)) && problems.isEmpty()
                && intValue(entry, ATTEMPTS, 0) >= maxAttempts(entry)) {
            // Claiming it would look like a last attempt whose lease expired: say what is wrong instead.
            problems.add(was(ATTEMPTS, entry.get(ATTEMPTS), "less than maxAttempts (" + maxAttempts(entry)
                    + (entry.get(MAX_ATTEMPTS) == null ? ", the queue's default" : "") + "): a ready entry has attempts left"));
        }
        Object visibilityMs = entry.get(VISIBILITY_MS);
        if (visibilityMs != null) {
            Long ms = integral(visibilityMs);
            if (ms == null || ms < 1 || ms > JobRequest.MAX_VISIBILITY_TIMEOUT.toMillis()) {
                problems.add(was(VISIBILITY_MS, visibilityMs, "a positive number of milliseconds, at most "
                        + JobRequest.MAX_VISIBILITY_TIMEOUT.toMillis() + " (" + JobRequest.MAX_VISIBILITY_TIMEOUT + ")"));
            }
        }
        Object enqueuedAt = entry.get(ENQUEUED_AT);
        if (enqueuedAt != null && !(enqueuedAt instanceof Date)) {
            problems.add(was(ENQUEUED_AT, enqueuedAt, "a date"));
        }
        for (String field : List.of(DEDUP_KEY, ACTIVE_DEDUP_KEY)) {
            Object key = entry.get(field);
            if (key != null && !(key instanceof String)) {
                problems.add(was(field, key, "a string"));
            }
        }
        return problems.isEmpty() ? null : PREFIX + String.join("; ", problems) + ADVICE;
    }

    private static void checkInt(Document entry, String field, int min, String rule, List<String> problems) {
        Object value = entry.get(field);
        if (value == null) {
            return;
        }
        Long number = integral(value);
        if (number == null || number < min) {
            problems.add(was(field, value, rule));
        } else if (number > Integer.MAX_VALUE) {
            problems.add(was(field, value, rule + ", at most " + Integer.MAX_VALUE));
        }
    }

    private static String was(String field, Object value, String rule) {
        return "field " + field + " was " + (value == null ? "missing" : render(value) + " (" + bsonType(value) + ")")
                + " but must be " + rule;
    }

    /** The entry's visibility timeout; the queue's default when it has none. Only for entries without {@link #problems}. */
    Duration visibilityTimeout(Document entry) {
        Long ms = integral(entry.get(VISIBILITY_MS));
        return ms == null ? defaultVisibilityTimeout : Duration.ofMillis(ms);
    }

    /** The entry's attempts allowed; the queue's default when it has none. Never throws. */
    int maxAttempts(Document entry) {
        return intValue(entry, MAX_ATTEMPTS, defaultMaxAttempts);
    }

    /**
     * A whole-number field, leniently, for showing entries as they are: {@code absent} when absent
     * or null, 0 when it is not a number.
     */
    static int intValue(Document document, String field, int absent) {
        Object value = document.get(field);
        if (value == null) {
            return absent;
        }
        if (!(value instanceof Number number)) {
            return 0;
        }
        return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, number.longValue()));
    }

    /** An int32, an int64, or a double without a fraction, as a long; null for anything else. */
    private static Long integral(Object value) {
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        if (value instanceof Double d && Double.isFinite(d) && d == Math.rint(d) && Math.abs(d) < 0x1p63) {
            return d.longValue();
        }
        return null;
    }

    /** A stored value as short extended JSON, for messages and for showing odd values as text. */
    static String render(Object value) {
        String json = new Document("v", value).toJson();
        String text = json.substring("{\"v\": ".length(), json.length() - 1);
        return text.length() <= MAX_RENDERED ? text : text.substring(0, MAX_RENDERED) + "…";
    }

    /** The BSON type name of a decoded value, as the BSON specification spells it. */
    static String bsonType(Object value) {
        if (value instanceof String) {
            return "string";
        } else if (value instanceof Integer) {
            return "int32";
        } else if (value instanceof Long) {
            return "int64";
        } else if (value instanceof Double) {
            return "double";
        } else if (value instanceof org.bson.types.Decimal128) {
            return "decimal128";
        } else if (value instanceof Boolean) {
            return "boolean";
        } else if (value instanceof Date) {
            return "date";
        } else if (value instanceof Document) {
            return "document";
        } else if (value instanceof List) {
            return "array";
        } else if (value instanceof ObjectId) {
            return "objectId";
        }
        return value.getClass().getSimpleName();
    }
}
