package io.docjobs.mongo;

import com.mongodb.client.model.Projections;
import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import io.docjobs.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * The entry schema: every field name, and the mapping between documents and API types. With
 * {@link EntrySchema}, which says what a valid entry is, the only place that knows how an entry is
 * stored (see the README's "Schema" section).
 */
final class Entries {
    static final String ID = "_id";
    static final String TYPE = "type";
    static final String PAYLOAD = "payload";
    static final String STATE = "state";
    static final String PRIORITY = "priority";
    /** READY: when claimable. LEASED: the lease deadline. Absent when DEAD. */
    static final String VISIBLE_AT = "visibleAt";
    static final String ATTEMPTS = "attempts";
    static final String MAX_ATTEMPTS = "maxAttempts";
    static final String VISIBILITY_MS = "visibilityMs";
    static final String ENQUEUED_AT = "enqueuedAt";
    /** Present only while LEASED. */
    static final String LEASE_TOKEN = "leaseToken";
    static final String WORKER_ID = "workerId";
    static final String CLAIMED_AT = "claimedAt";
    /** The token of the last lease that was released, so a retried release can recognise its own effect. */
    static final String RELEASED_TOKEN = "releasedToken";
    /** The token of the last requeue of a dead letter, so a retried requeue can recognise its own effect. */
    static final String REQUEUE_TOKEN = "requeueToken";
    /** The user's dedup key, kept for the record. */
    static final String DEDUP_KEY = "dedupKey";
    /** The dedup key while the entry is unfinished: the unique sparse index is on this field. */
    static final String ACTIVE_DEDUP_KEY = "activeDedupKey";
    static final String LAST_ERROR = "lastError";
    /**
     * The failures of past attempts, oldest first, at most {@link JobEntry#MAX_ERRORS}: pushed in the
     * write that sets {@link #LAST_ERROR}, so the history costs no round trip of its own.
     */
    static final String ERRORS = "errors";
    /** The producer's W3C trace context, if it had one. */
    static final String TRACEPARENT = "traceparent";
    static final String DEAD_AT = "deadAt";
    /**
     * Set on a LEASED entry by an operator's cancel ({@code JobAdmin.cancel}): the running job's next
     * heartbeat finds it, stops the handler and ends the entry as cancelled. Database time.
     */
    static final String CANCEL_REQUESTED_AT = "cancelRequestedAt";
    /** Who asked for the cancellation, with {@link #CANCEL_REQUESTED_AT}. */
    static final String CANCEL_REQUESTED_BY = "cancelRequestedBy";
    /** The schedule whose firing made the entry, if one did. */
    static final String SCHEDULE_ID = "scheduleId";
    /** The schedule's time the entry was made for, with {@link #SCHEDULE_ID}. */
    static final String SCHEDULED_AT = "scheduledAt";
    /** The schema version the entry was written for; absent means 1. */
    static final String VERSION = "v";

    /**
     * The projection of lists: everything but the payload and the error history, which may be large
     * (up to {@link JobEntry#MAX_ERRORS} messages of {@link JobError#MAX_MESSAGE_LENGTH}) and which
     * lists do not show.
     */
    static final Bson WITHOUT_PAYLOAD = Projections.exclude(PAYLOAD, ERRORS);

    static final String ERROR_MESSAGE = "message";
    static final String ERROR_CLASS = "exceptionClass";
    static final String ERROR_AT = "at";
    static final String ERROR_WORKER = "workerId";
    static final String ERROR_ATTEMPT = "attempt";

    static final String READY = JobState.READY.stored();
    static final String LEASED = JobState.LEASED.stored();
    static final String DEAD = JobState.DEAD.stored();
    /**
     * A schedule's firing before it is committed: never claimed, counted or listed (no
     * {@code visibleAt}, a state no query of the queue matches); made ready by the firing's commit
     * or deleted if the commit failed. See {@link ScheduleFirer}.
     */
    static final String HELD = "held";

    private Entries() {
    }

    /** @param traceparent the producer's trace context (already valid), or null */
    static Document newEntry(ObjectId id, JobRequest request, Instant now, Duration visibilityTimeout, int maxAttempts,
            String traceparent) {
        Instant visibleAt = now.plus(request.delay());
        if (request.notBefore() != null && request.notBefore().isAfter(visibleAt)) {
            visibleAt = request.notBefore();
        }
        Document entry = new Document(ID, id)
                .append(TYPE, request.type())
                .append(PAYLOAD, request.payloadText() != null ? request.payloadText() : request.payloadDocument())
                .append(STATE, READY)
                .append(PRIORITY, request.priority())
                .append(VISIBLE_AT, Date.from(visibleAt))
                .append(ATTEMPTS, 0)
                .append(MAX_ATTEMPTS, maxAttempts)
                .append(VISIBILITY_MS, visibilityTimeout.toMillis())
                .append(ENQUEUED_AT, Date.from(now))
                .append(VERSION, EntrySchema.CURRENT_VERSION);
        if (request.dedupKey() != null) {
            entry.append(DEDUP_KEY, request.dedupKey()).append(ACTIVE_DEDUP_KEY, request.dedupKey());
        }
        if (traceparent != null) {
            entry.append(TRACEPARENT, traceparent);
        }
        return entry;
    }

    /**
     * The lease of an entry read back after a claim set its token, deadline and attempts. Only for
     * entries without {@link EntrySchema#problems}; absent optional fields take their defaults.
     */
    static Lease leaseFromClaimed(Document entry, Date visibleSince, EntrySchema schema) {
        Object payload = entry.get(PAYLOAD);
        return new ClaimedLease(
                entry.getObjectId(ID).toHexString(),
                entry.getString(TYPE),
                payload instanceof Document ? null : payload == null ? "" : (String) payload,
                payload instanceof Document document ? document : null,
                EntrySchema.intValue(entry, ATTEMPTS, 0),
                schema.maxAttempts(entry),
                entry.getString(LEASE_TOKEN),
                entry.getString(WORKER_ID),
                instant(entry, VISIBLE_AT),
                instant(entry, ENQUEUED_AT),
                visibleSince == null ? null : visibleSince.toInstant(),
                schema.visibilityTimeout(entry),
                EntrySchema.intValue(entry, PRIORITY, 0),
                // Tracing must never stop a job: a missing or invalid trace context is no context.
                entry.get(TRACEPARENT) instanceof String trace && JobRequest.isTraceparent(trace) ? trace : null);
    }

    /**
     * An entry as the admin reads show it. Lenient, so an operator can inspect and purge any entry:
     * values of unexpected types are shown as extended JSON text, numbers that are not numbers as
     * 0, dates that are not dates as null, and an unknown state as null.
     */
    static JobEntry toJobEntry(Document entry, EntrySchema schema) {
        return toJobEntry(entry, schema, true);
    }

    /**
     * As {@link #toJobEntry(Document, EntrySchema)}; without {@code withPayload} (for entries read
     * with {@link #WITHOUT_PAYLOAD}) the payload is null, as lists show it.
     */
    static JobEntry toJobEntry(Document entry, EntrySchema schema, boolean withPayload) {
        Object payload = entry.get(PAYLOAD);
        return new JobEntry(
                idText(entry.get(ID)),
                text(entry.get(TYPE)),
                !withPayload ? null : payload == null ? "" : payload instanceof Document document ? document.toJson() : text(payload),
                state(entry.get(STATE)),
                EntrySchema.intValue(entry, PRIORITY, 0),
                EntrySchema.intValue(entry, ATTEMPTS, 0),
                schema.maxAttempts(entry),
                instant(entry, ENQUEUED_AT),
                instant(entry, VISIBLE_AT),
                text(entry.get(DEDUP_KEY)),
                text(entry.get(WORKER_ID)),
                lastError(entry.get(LAST_ERROR)),
                instant(entry, DEAD_AT),
                errors(entry.get(ERRORS)),
                instant(entry, CANCEL_REQUESTED_AT),
                instant(entry, CLAIMED_AT));
    }

    /** The history as stored; a value that is no array (written by another producer) is shown as one error. */
    private static List<JobError> errors(Object value) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            return List.of(lastError(value));
        }
        List<JobError> errors = new ArrayList<>(list.size());
        for (Object element : list) {
            errors.add(element == null ? new JobError("null", null, null, null, 0) : lastError(element));
        }
        return errors;
    }

    /**
     * The update that records {@code error}: {@link #LAST_ERROR} set (in {@code set}, which the caller
     * completes) and the error pushed onto {@link #ERRORS}, keeping the last {@link JobEntry#MAX_ERRORS}.
     */
    static Document recordError(Document set, Document error) {
        set.append(LAST_ERROR, error);
        return new Document("$set", set).append("$push", new Document(ERRORS,
                new Document("$each", List.of(error)).append("$slice", -JobEntry.MAX_ERRORS)));
    }

    /**
     * {@code update} (from {@link #recordError}) with the history replaced by {@code error} alone,
     * for an entry whose {@link #ERRORS} is no array (written so by another producer), onto which
     * the server refuses to push.
     */
    static Document replacingErrors(Document update, Document error) {
        Document replaced = new Document(update);
        replaced.remove("$push");
        replaced.put("$set", new Document(update.get("$set", Document.class)).append(ERRORS, List.of(error)));
        return replaced;
    }

    private static JobError lastError(Object value) {
        if (value == null) {
            return null;
        }
        if (!(value instanceof Document error)) {
            return new JobError(text(value), null, null, null, 0);
        }
        return new JobError(text(error.get(ERROR_MESSAGE)), text(error.get(ERROR_CLASS)), instant(error, ERROR_AT),
                text(error.get(ERROR_WORKER)), EntrySchema.intValue(error, ERROR_ATTEMPT, 0));
    }

    /** An entry id as the API shows it: 24 hex digits for an ObjectId, extended JSON for any other _id. */
    static String idText(Object id) {
        return id instanceof ObjectId objectId ? objectId.toHexString() : EntrySchema.render(id);
    }

    /** A string as it is, anything else as extended JSON, null as null. */
    static String text(Object value) {
        return value == null ? null : value instanceof String string ? string : EntrySchema.render(value);
    }

    private static JobState state(Object value) {
        for (JobState state : JobState.values()) {
            if (state.stored().equals(value)) {
                return state;
            }
        }
        return null;
    }

    /** The error of a failed attempt; {@code workerId} null when unknown (the worker is gone). */
    static Document errorDocument(JobError error, int attempt, String workerId, Instant now) {
        JobError effective = error == null ? JobError.of("released without an error") : error;
        Document document = new Document(ERROR_MESSAGE, effective.message())
                .append(ERROR_CLASS, effective.exceptionClass())
                .append(ERROR_AT, Date.from(now));
        if (workerId != null) {
            document.append(ERROR_WORKER, workerId);
        }
        return document.append(ERROR_ATTEMPT, attempt);
    }

    static ObjectId objectId(String id) {
        if (id == null || !ObjectId.isValid(id)) {
            throw new IllegalArgumentException("id was " + (id == null ? "null" : "\"" + id + "\"")
                    + " but must be a docjobs entry id: 24 hexadecimal digits such as 65f1c0ffee00000000000001");
        }
        return new ObjectId(id);
    }

    private static Instant instant(Document document, String field) {
        return document.get(field) instanceof Date date ? date.toInstant() : null;
    }
}
