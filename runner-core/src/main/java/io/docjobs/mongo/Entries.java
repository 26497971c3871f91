package io.docjobs.mongo;

import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import io.docjobs.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * The entry schema: every field name, and the mapping between documents and API types. The only
 * place that knows how an entry is stored (see the README's "Schema" section).
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
    static final String DEAD_AT = "deadAt";

    static final String ERROR_MESSAGE = "message";
    static final String ERROR_CLASS = "exceptionClass";
    static final String ERROR_AT = "at";
    static final String ERROR_WORKER = "workerId";
    static final String ERROR_ATTEMPT = "attempt";

    static final String READY = JobState.READY.stored();
    static final String LEASED = JobState.LEASED.stored();
    static final String DEAD = JobState.DEAD.stored();

    private Entries() {
    }

    static Document newEntry(ObjectId id, JobRequest request, Instant now, Duration visibilityTimeout, int maxAttempts) {
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
                .append(ENQUEUED_AT, Date.from(now));
        if (request.dedupKey() != null) {
            entry.append(DEDUP_KEY, request.dedupKey()).append(ACTIVE_DEDUP_KEY, request.dedupKey());
        }
        return entry;
    }

    /** The lease a claim produced, from the entry as it was before the claim and what the claim set. */
    static Lease leaseFrom(Document before, String token, String workerId, Instant deadline) {
        return lease(before, intValue(before, ATTEMPTS) + 1, token, workerId, deadline, instant(before, VISIBLE_AT));
    }

    /** The lease of an entry read back after a batch claim set its token, deadline and attempts. */
    static Lease leaseFromClaimed(Document entry, Date visibleSince) {
        return lease(entry, intValue(entry, ATTEMPTS), entry.getString(LEASE_TOKEN), entry.getString(WORKER_ID),
                instant(entry, VISIBLE_AT), visibleSince == null ? null : visibleSince.toInstant());
    }

    private static Lease lease(Document entry, int attempt, String token, String workerId, Instant deadline,
            Instant visibleSince) {
        Object payload = entry.get(PAYLOAD);
        return new Lease(
                entry.getObjectId(ID).toHexString(),
                entry.getString(TYPE),
                payload instanceof Document ? null : String.valueOf(payload),
                payload instanceof Document document ? document : null,
                attempt,
                intValue(entry, MAX_ATTEMPTS),
                token,
                workerId,
                deadline,
                instant(entry, ENQUEUED_AT),
                visibleSince,
                visibilityTimeout(entry),
                intValue(entry, PRIORITY));
    }

    static Duration visibilityTimeout(Document entry) {
        return Duration.ofMillis(((Number) entry.get(VISIBILITY_MS)).longValue());
    }

    static JobEntry toJobEntry(Document entry) {
        Object payload = entry.get(PAYLOAD);
        Document error = entry.get(LAST_ERROR, Document.class);
        return new JobEntry(
                entry.getObjectId(ID).toHexString(),
                entry.getString(TYPE),
                payload instanceof Document document ? document.toJson() : String.valueOf(payload),
                JobState.fromStored(entry.getString(STATE)),
                intValue(entry, PRIORITY),
                intValue(entry, ATTEMPTS),
                intValue(entry, MAX_ATTEMPTS),
                instant(entry, ENQUEUED_AT),
                instant(entry, VISIBLE_AT),
                entry.getString(DEDUP_KEY),
                entry.getString(WORKER_ID),
                error == null ? null : new JobError(error.getString(ERROR_MESSAGE), error.getString(ERROR_CLASS),
                        instant(error, ERROR_AT), error.getString(ERROR_WORKER), intValue(error, ERROR_ATTEMPT)),
                instant(entry, DEAD_AT));
    }

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

    private static int intValue(Document document, String field) {
        Object value = document.get(field);
        return value == null ? 0 : ((Number) value).intValue();
    }

    private static Instant instant(Document document, String field) {
        Date date = document.getDate(field);
        return date == null ? null : date.toInstant();
    }
}
