package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.in;
import static com.mongodb.client.model.Filters.or;
import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.EntryStore.LOG;
import static io.docjobs.mongo.EntryStore.activeKey;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoWriteException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Projections;
import io.docjobs.DocJobsException;
import io.docjobs.EnqueueResult;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.Codec;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * Inserts entries, and resolves duplicate-key errors: a dedup key held by an unfinished entry, or
 * the entry a try whose reply was lost already inserted.
 */
final class Enqueuer {
    private static final Codec<Document> DOCUMENT_CODEC = MongoClientSettings.getDefaultCodecRegistry().get(Document.class);

    private final EntryStore store;
    private final EnqueueNotifier notifier;

    Enqueuer(EntryStore store, EnqueueNotifier notifier) {
        this.store = store;
        this.notifier = notifier;
    }

    EnqueueResult enqueue(JobRequest request) {
        Arguments.notNull(request, "request");
        ObjectId id = new ObjectId();
        RawBsonDocument entry = encode(id, request, store.now(), -1);
        EnqueueResult result = store.runner.run("enqueue of type \"" + request.type() + "\"",
                attempt -> insertOne(id, entry, request));
        if (result.isInserted()) {
            notifier.enqueued(Set.of(request.type()));
        }
        return result;
    }

    private EnqueueResult insertOne(ObjectId id, RawBsonDocument entry, JobRequest request) {
        for (int round = 0; ; round++) {
            try {
                store.rawEntries.insertOne(entry);
                return EnqueueResult.inserted(id.toHexString());
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
                Optional<EnqueueResult> resolved = resolveDuplicate(id, request);
                if (resolved.isPresent()) {
                    return resolved.get();
                }
                if (request.dedupKey() == null) {
                    // Neither our entry nor a dedup key: a unique index someone else made; retrying cannot help.
                    throw failure("enqueue of type \"" + request.type() + "\"", request, " hit a unique index that"
                            + " docjobs did not create: " + e.getError().getMessage(), e);
                }
                if (round >= 3) {
                    throw failure("enqueue of type \"" + request.type() + "\" with dedup key \"" + request.dedupKey() + "\"",
                            request, " kept colliding with entries that finished at once; try again", e);
                }
                // The entry holding the key finished between our insert and the lookup: insert again.
            }
        }
    }

    /** The operation names the request as the message does, so the dedup key travels in the fields too. */
    private DocJobsException failure(String operation, JobRequest request, String rest, Throwable cause) {
        return new DocJobsException(operation + rest, cause,
                new DocJobsException.Context(operation, store.name, null, request.type(), 0));
    }

    /**
     * After a duplicate-key error: either our own earlier try inserted the entry (a retry after a
     * lost reply), or an unfinished entry holds the dedup key. Empty if neither exists any more.
     */
    private Optional<EnqueueResult> resolveDuplicate(ObjectId id, JobRequest request) {
        Bson filter = request.dedupKey() == null ? eq(ID, id) : or(eq(ID, id), activeKey(request.dedupKey()));
        Document holder = store.entries.find(filter).projection(Projections.include(ID)).first();
        if (holder == null) {
            return Optional.empty();
        }
        // A foreign producer's entry may hold the key under an _id that is no ObjectId.
        Object holderId = holder.get(ID);
        return Optional.of(id.equals(holderId) ? EnqueueResult.inserted(id.toHexString())
                : EnqueueResult.duplicateOf(Entries.idText(holderId)));
    }

    List<EnqueueResult> enqueueAll(List<JobRequest> requests) {
        Arguments.notNull(requests, "requests");
        if (requests.isEmpty()) {
            return List.of();
        }
        Instant now = store.now();
        List<ObjectId> ids = new ArrayList<>(requests.size());
        List<RawBsonDocument> batch = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            JobRequest request = Arguments.notNull(requests.get(i), "requests[" + i + "]");
            ObjectId id = new ObjectId();
            ids.add(id);
            batch.add(encode(id, request, now, i));
        }
        List<EnqueueResult> results = store.runner.run("enqueueAll of " + requests.size() + " entries",
                attempt -> insertMany(requests, ids, batch));
        Set<String> types = new HashSet<>();
        for (int i = 0; i < results.size(); i++) {
            if (results.get(i).isInserted()) {
                types.add(requests.get(i).type());
            }
        }
        if (!types.isEmpty()) {
            notifier.enqueued(types);
        }
        return results;
    }

    private List<EnqueueResult> insertMany(List<JobRequest> requests, List<ObjectId> ids, List<RawBsonDocument> batch) {
        Map<Integer, BulkWriteError> errors = new TreeMap<>();
        try {
            store.rawEntries.insertMany(batch, new InsertManyOptions().ordered(false));
        } catch (MongoBulkWriteException e) {
            e.getWriteErrors().forEach(error -> errors.put(error.getIndex(), error));
        }
        EnqueueResult[] results = new EnqueueResult[requests.size()];
        Set<Integer> duplicates = new TreeSet<>();
        for (int i = 0; i < results.length; i++) {
            BulkWriteError error = errors.get(i);
            if (error == null) {
                results[i] = EnqueueResult.inserted(ids.get(i).toHexString());
            } else if (error.getCategory() == ErrorCategory.DUPLICATE_KEY) {
                duplicates.add(i);
            } else {
                results[i] = EnqueueResult.failed("rejected by the database: " + error.getMessage()
                        + " (code " + error.getCode() + ")");
            }
        }
        if (!duplicates.isEmpty()) {
            resolveDuplicates(requests, ids, batch, duplicates, results);
        }
        logFailures(requests, results);
        return List.of(results);
    }

    private void resolveDuplicates(List<JobRequest> requests, List<ObjectId> ids, List<RawBsonDocument> batch,
            Set<Integer> duplicates, EnqueueResult[] results) {
        List<ObjectId> ownIds = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int index : duplicates) {
            ownIds.add(ids.get(index));
            if (requests.get(index).dedupKey() != null) {
                keys.add(requests.get(index).dedupKey());
            }
        }
        Set<Object> existingOwn = new HashSet<>();
        Map<String, Object> holders = new HashMap<>();
        for (Document found : store.entries.find(or(in(ID, ownIds),
                        new Document(ACTIVE_DEDUP_KEY, new Document("$in", keys).append("$exists", true))))
                .projection(Projections.include(ID, ACTIVE_DEDUP_KEY))) {
            existingOwn.add(found.get(ID));
            if (found.get(ACTIVE_DEDUP_KEY) instanceof String key) {
                holders.put(key, found.get(ID));
            }
        }
        for (int index : duplicates) {
            ObjectId id = ids.get(index);
            String key = requests.get(index).dedupKey();
            if (holders.containsKey(key) && !holders.get(key).equals(id)) {
                results[index] = EnqueueResult.duplicateOf(Entries.idText(holders.get(key)));
            } else if (existingOwn.contains(id)) {
                results[index] = EnqueueResult.inserted(id.toHexString());
            } else {
                // The holder finished in the meantime: this one may go in after all.
                results[index] = insertAgain(id, batch.get(index), requests.get(index));
            }
        }
    }

    /**
     * One request of a batch inserted on its own; a permanent failure of it becomes its result,
     * so the outcomes of the rest of the batch still reach the caller. Transient errors propagate:
     * the whole batch is retried, and recognises what it inserted before.
     */
    private EnqueueResult insertAgain(ObjectId id, RawBsonDocument entry, JobRequest request) {
        try {
            return insertOne(id, entry, request);
        } catch (MongoWriteException e) {
            if (TransientErrors.isTransient(e)) {
                throw e;
            }
            return EnqueueResult.failed("rejected by the database: " + e.getError().getMessage()
                    + " (code " + e.getError().getCode() + ")");
        } catch (DocJobsException e) {
            return EnqueueResult.failed(e.getMessage());
        }
    }

    /** The caller gets every failure as a result; the log says once per batch that some happened. */
    private void logFailures(List<JobRequest> requests, EnqueueResult[] results) {
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < results.length; i++) {
            if (results[i].isFailed()) {
                failures.add("#" + i + " (type \"" + requests.get(i).type() + "\"): " + results[i].failure());
            }
        }
        if (!failures.isEmpty()) {
            LOG.warn("enqueueAll on {}: {} of {} entries were rejected, the others were inserted: {}", store.name,
                    failures.size(), results.length, String.join("; ", failures));
        }
    }

    private RawBsonDocument encode(ObjectId id, JobRequest request, Instant now, int index) {
        Duration visibility = request.visibilityTimeout() != null ? request.visibilityTimeout()
                : store.config.defaultVisibilityTimeout();
        int maxAttempts = request.maxAttempts() != null ? request.maxAttempts() : store.config.defaultMaxAttempts();
        RawBsonDocument raw;
        try {
            raw = new RawBsonDocument(Entries.newEntry(id, request, now, visibility, maxAttempts, traceparent(request)),
                    DOCUMENT_CODEC);
        } catch (org.bson.codecs.configuration.CodecConfigurationException e) {
            throw new IllegalArgumentException((index >= 0 ? "requests[" + index + "]: " : "") + "payload of job type \""
                    + request.type() + "\" holds a value that cannot be stored as BSON (" + e.getMessage()
                    + "); use strings, numbers, booleans, dates, lists and nested documents", e);
        }
        int size = raw.getByteBuffer().remaining();
        if (size > JobQueue.MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException((index >= 0 ? "requests[" + index + "]: " : "") + "payload of job type \""
                    + request.type() + "\" is too large: the entry would be " + size + " bytes but at most "
                    + JobQueue.MAX_PAYLOAD_BYTES + " are accepted (MongoDB's 16 MiB document limit less room for queue fields);"
                    + " store large data elsewhere and enqueue a reference to it");
        }
        return raw;
    }

    /** The request's trace context, else the current one from the configured supplier, if valid. */
    private String traceparent(JobRequest request) {
        if (request.traceparent() != null || store.config.traceparent() == null) {
            return request.traceparent();
        }
        try {
            String current = store.config.traceparent().get();
            return JobRequest.isTraceparent(current) ? current : null;
        } catch (RuntimeException e) {
            LOG.debug("the traceparent supplier failed; enqueueing without a trace context: {}", e.toString());
            return null;
        }
    }
}
