package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.eq;
import static io.docjobs.mongo.Entries.CANCEL_REQUESTED_AT;
import static io.docjobs.mongo.Entries.CANCEL_REQUESTED_BY;
import static io.docjobs.mongo.Entries.DEAD;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LEASED;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.client.model.FindOneAndDeleteOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import io.docjobs.AdminResult;
import io.docjobs.AdminResult.Operation;
import io.docjobs.AdminResult.Status;
import io.docjobs.JobState;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * The operator's single-entry writes: cancel, delete, run now, set priority. Each is one atomic
 * write by {@code _id} whose filter requires the state the operation applies to, the same fence
 * the claim's own write has, so an operation and a claim racing for one entry cannot both win.
 * Only when the write matches nothing is the entry read, to say why.
 */
final class AdminWrites {
    /**
     * A cancel tries the READY delete, then the LEASED request; between the two the entry can move
     * on (released for a retry, claimed again). Each round's writes are fenced, so a few rounds
     * settle it; after that the state is reported as found.
     */
    private static final int CANCEL_ROUNDS = 3;
    private static final Bson TYPE_ONLY = Projections.include(TYPE);

    private final EntryStore store;
    private final AuditLog audit;

    AdminWrites(EntryStore store, AuditLog audit) {
        this.store = store;
        this.audit = audit;
    }

    AdminResult cancel(String id, String by) {
        ObjectId objectId = Entries.objectId(id);
        AuditLog.checkBy(by);
        return recorded(by, store.runner.run("cancel of " + id, id, attempt -> {
            for (int round = 1; ; round++) {
                // Whatever a claim could take is removed at once: a READY entry, or a LEASED one whose
                // lease expired (its worker is gone or late; a claim would start it again).
                Document removed = store.entries.findOneAndDelete(new Document(ID, objectId).append("$or", List.of(
                        new Document(STATE, READY),
                        new Document(STATE, LEASED).append(VISIBLE_AT, new Document("$lte", Date.from(store.now()))))),
                        new FindOneAndDeleteOptions().projection(TYPE_ONLY));
                if (removed != null) {
                    return outcome(AdminResult.of(Operation.CANCEL, Status.CANCELLED, id), removed);
                }
                Document requested = store.entries.findOneAndUpdate(
                        fence(objectId, LEASED).append(CANCEL_REQUESTED_AT, new Document("$exists", false)),
                        new Document("$set", new Document(CANCEL_REQUESTED_AT, Date.from(store.now()))
                                .append(CANCEL_REQUESTED_BY, by)),
                        new FindOneAndUpdateOptions().projection(TYPE_ONLY));
                if (requested != null) {
                    return outcome(AdminResult.of(Operation.CANCEL, Status.CANCEL_REQUESTED, id), requested);
                }
                Document entry = read(objectId);
                String state = entry == null ? null : String.valueOf(entry.get(STATE));
                if (entry == null) {
                    return outcome(AdminResult.of(Operation.CANCEL, Status.NOT_FOUND, id), null);
                } else if (LEASED.equals(state) && entry.get(CANCEL_REQUESTED_AT) != null) {
                    return outcome(AdminResult.of(Operation.CANCEL, Status.ALREADY_REQUESTED, id), entry);
                } else if (!READY.equals(state) && !LEASED.equals(state) || round == CANCEL_ROUNDS) {
                    return outcome(wrongState(Operation.CANCEL, id, entry), entry);
                }
                // READY or LEASED again: it moved between the writes; try again.
            }
        }));
    }

    AdminResult delete(String id, String by) {
        ObjectId objectId = Entries.objectId(id);
        AuditLog.checkBy(by);
        return recorded(by, store.runner.run("delete of " + id, id, attempt -> {
            Document removed = store.entries.findOneAndDelete(
                    new Document(ID, objectId).append(STATE, new Document("$in", List.of(READY, DEAD))),
                    new FindOneAndDeleteOptions().projection(TYPE_ONLY));
            if (removed != null) {
                return outcome(AdminResult.of(Operation.DELETE, Status.DELETED, id), removed);
            }
            return refused(Operation.DELETE, id, read(objectId));
        }));
    }

    AdminResult runNow(String id, String by) {
        ObjectId objectId = Entries.objectId(id);
        AuditLog.checkBy(by);
        return recorded(by, store.runner.run("run-now of " + id, id, attempt -> {
            Date now = Date.from(store.now());
            // Only a delayed entry: setting a due entry's visible-at to now would move it back in the line.
            Document made = store.entries.findOneAndUpdate(
                    fence(objectId, READY).append(VISIBLE_AT, new Document("$gt", now)),
                    new Document("$set", new Document(VISIBLE_AT, now)), new FindOneAndUpdateOptions().projection(TYPE_ONLY));
            if (made != null) {
                return outcome(AdminResult.of(Operation.RUN_NOW, Status.MADE_DUE, id), made);
            }
            Document entry = read(objectId);
            if (entry != null && READY.equals(entry.get(STATE))) {
                return outcome(AdminResult.of(Operation.RUN_NOW, Status.ALREADY_DUE, id), entry);
            }
            return refused(Operation.RUN_NOW, id, entry);
        }));
    }

    AdminResult setPriority(String id, int priority, String by) {
        ObjectId objectId = Entries.objectId(id);
        AuditLog.checkBy(by);
        return recorded(by, store.runner.run("priority of " + id, id, attempt -> {
            Document set = store.entries.findOneAndUpdate(fence(objectId, READY),
                    new Document("$set", new Document(PRIORITY, priority)), new FindOneAndUpdateOptions().projection(TYPE_ONLY));
            if (set != null) {
                return new Outcome(AdminResult.of(Operation.SET_PRIORITY, Status.PRIORITY_SET, id), set,
                        Status.PRIORITY_SET.name() + " " + priority);
            }
            return refused(Operation.SET_PRIORITY, id, read(objectId));
        }));
    }

    /** The filter of every admin write: this entry, in this state; served by the {@code _id} index. */
    private static Document fence(ObjectId id, String state) {
        return new Document(ID, id).append(STATE, state);
    }

    /** Why a write matched nothing; read by id alone, which the embedded server serves from its index too. */
    private Document read(ObjectId id) {
        return store.entries.find(eq(ID, id)).projection(Projections.include(STATE, TYPE, CANCEL_REQUESTED_AT)).first();
    }

    private static Outcome refused(Operation operation, String id, Document entry) {
        return entry == null ? outcome(AdminResult.of(operation, Status.NOT_FOUND, id), null)
                : outcome(wrongState(operation, id, entry), entry);
    }

    /** An entry in a state no admin operation applies to (a schedule's uncommitted firing) counts as absent. */
    private static AdminResult wrongState(Operation operation, String id, Document entry) {
        Object state = entry.get(STATE);
        if (READY.equals(state)) {
            return AdminResult.wrongState(operation, id, JobState.READY);
        } else if (LEASED.equals(state)) {
            return AdminResult.wrongState(operation, id, JobState.LEASED);
        } else if (DEAD.equals(state)) {
            return AdminResult.wrongState(operation, id, JobState.DEAD);
        }
        return AdminResult.of(operation, Status.NOT_FOUND, id);
    }

    private static Outcome outcome(AdminResult result, Document entry) {
        return new Outcome(result, entry, result.status().name());
    }

    /** Recorded after the retried write, so a retry cannot record twice. */
    private AdminResult recorded(String by, Outcome outcome) {
        AdminResult result = outcome.result();
        Document entry = outcome.entry();
        String type = entry != null && entry.get(TYPE) instanceof String text ? text : null;
        audit.record(by, result.operation().label(), result.id(), type, outcome.recorded(), result.describe());
        return result;
    }

    /** What one operation came to: the result, the entry as read or written (for its type), and the audit outcome. */
    private record Outcome(AdminResult result, Document entry, String recorded) {
    }
}
