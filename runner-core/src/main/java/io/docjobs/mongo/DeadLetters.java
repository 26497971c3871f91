package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.exists;
import static com.mongodb.client.model.Filters.lt;
import static io.docjobs.mongo.Arguments.withType;
import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.ATTEMPTS;
import static io.docjobs.mongo.Entries.CANCEL_REQUESTED_AT;
import static io.docjobs.mongo.Entries.CANCEL_REQUESTED_BY;
import static io.docjobs.mongo.Entries.DEAD;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.DEDUP_KEY;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.REQUEUE_TOKEN;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;
import static io.docjobs.mongo.EntryStore.LOG;
import static io.docjobs.mongo.EntryStore.activeKey;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Projections;
import io.docjobs.RequeueResult;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/** The operator's writes on dead letters: requeue one or all, purge. */
final class DeadLetters {
    /**
     * A requeued entry starts afresh: no death date, and no cancellation request left over from a
     * job that failed before its worker saw the request (it would cancel the requeued run).
     */
    private static final Document CLEARED_ON_REQUEUE = new Document(DEAD_AT, "").append(CANCEL_REQUESTED_AT, "")
            .append(CANCEL_REQUESTED_BY, "");

    private final EntryStore store;

    DeadLetters(EntryStore store) {
        this.store = store;
    }

    RequeueResult requeueDead(String id) {
        ObjectId objectId = Entries.objectId(id);
        // Made once, outside the retried code: a retry recognises its own earlier requeue by it.
        String token = store.newToken();
        return store.runner.run("requeue of " + id, id, attempt -> {
            Document entry = store.entries.find(and(eq(ID, objectId), eq(STATE, DEAD))).first();
            if (entry != null) {
                return requeue(entry, token);
            }
            if (attempt > 1 && store.entries.find(new Document(ID, objectId).append(REQUEUE_TOKEN, token))
                    .projection(Projections.include(ID)).first() != null) {
                return RequeueResult.requeued(id);
            }
            return notRequeued(objectId);
        });
    }

    /** Why an entry that is not (or no longer) dead was not requeued: it is gone, or alive. */
    private RequeueResult notRequeued(Object id) {
        boolean exists = store.entries.find(eq(ID, id)).projection(Projections.include(ID)).first() != null;
        return exists ? RequeueResult.notDead(Entries.idText(id)) : RequeueResult.notFound(Entries.idText(id));
    }

    private RequeueResult requeue(Document deadEntry, String token) {
        Object id = deadEntry.get(ID);
        Document set = new Document(STATE, READY).append(VISIBLE_AT, Date.from(store.now())).append(ATTEMPTS, 0)
                .append(REQUEUE_TOKEN, token);
        // A malformed dead letter's key may be no string: it then holds no key when requeued.
        String key = deadEntry.get(DEDUP_KEY) instanceof String text ? text : null;
        if (key != null) {
            set.append(ACTIVE_DEDUP_KEY, key);
        }
        try {
            boolean requeued = store.entries.updateOne(and(eq(ID, id), eq(STATE, DEAD)),
                    new Document("$set", set).append("$unset", CLEARED_ON_REQUEUE)).getMatchedCount() == 1;
            return requeued ? RequeueResult.requeued(Entries.idText(id)) : notRequeued(id);
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            Document holder = store.entries.find(activeKey(key)).projection(Projections.include(ID)).first();
            return RequeueResult.dedupKeyHeld(Entries.idText(id), key, holder == null ? null : Entries.idText(holder.get(ID)));
        }
    }

    long requeueAllDead(String type) {
        Bson dead = withType(eq(STATE, DEAD), type);
        return store.runner.run("requeue of all dead letters", attempt -> {
            long count = store.entries.updateMany(and(dead, exists(DEDUP_KEY, false)), new Document("$set",
                    new Document(STATE, READY).append(VISIBLE_AT, Date.from(store.now())).append(ATTEMPTS, 0))
                    .append("$unset", CLEARED_ON_REQUEUE)).getModifiedCount();
            // Entries with a dedup key one by one: each may collide with a newer unfinished entry.
            for (Document entry : store.entries.find(and(dead, exists(DEDUP_KEY, true))).into(new ArrayList<>())) {
                RequeueResult result = requeue(entry, store.newToken());
                if (result.isRequeued()) {
                    count++;
                } else if (result.status() == RequeueResult.Status.DEDUP_KEY_HELD) {
                    LOG.warn("{}", result.describe());
                }
            }
            return count;
        });
    }

    long purgeDead(String type, Instant before) {
        Arguments.notNull(before, "before");
        Bson filter = and(withType(eq(STATE, DEAD), type), lt(DEAD_AT, Date.from(before)));
        return store.runner.run("purge of dead letters", attempt -> store.entries.deleteMany(filter).getDeletedCount());
    }
}
