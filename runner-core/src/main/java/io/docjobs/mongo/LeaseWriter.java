package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.in;
import static io.docjobs.mongo.Arguments.checkExtension;
import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.ATTEMPTS;
import static io.docjobs.mongo.Entries.CANCEL_REQUESTED_AT;
import static io.docjobs.mongo.Entries.CLAIMED_AT;
import static io.docjobs.mongo.Entries.DEAD;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LEASE_TOKEN;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.RELEASED_TOKEN;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;
import static io.docjobs.mongo.Entries.WORKER_ID;
import static io.docjobs.mongo.EntryStore.fenced;

import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import io.docjobs.CompletionResult;
import io.docjobs.ExtensionResult;
import io.docjobs.JobError;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import io.docjobs.ReleaseResult;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * The writes a lease holder makes: done, extend, release, dead-letter and give-back. Each is fenced
 * by the lease token, so a stale worker changes nothing; each recognises on a retry after a lost
 * reply whether its first try was applied.
 */
final class LeaseWriter {
    private final EntryStore store;

    LeaseWriter(EntryStore store) {
        this.store = store;
    }

    boolean done(Lease lease) {
        Arguments.notNull(lease, "lease");
        ObjectId id = Entries.objectId(lease.id());
        return store.runner.run("done of " + lease.id(), lease, attempt -> {
            if (store.entries.deleteOne(fenced(lease)).getDeletedCount() == 1) {
                return true;
            }
            // A retry that finds the entry gone: our first try deleted it, unless the lease had
            // expired, when another worker may have claimed and completed it. Before the deadline
            // no one else can have held the entry, so the deletion was ours.
            return attempt > 1 && store.now().isBefore(lease.deadline())
                    && store.entries.find(eq(ID, id)).projection(Projections.include(ID)).first() == null;
        });
    }

    /**
     * One unordered bulk of fenced deletes. When fewer were deleted than sent, which ones held is
     * read back by id: an entry still there is no longer ours; one that is gone was deleted by this
     * call (or an earlier try of it) if its lease has not expired, since until then no one else can
     * have held it; after its deadline another worker may have claimed and completed it, and the
     * lease is reported lost, as {@link #done} does.
     */
    CompletionResult doneAll(Collection<Lease> leases) {
        Arguments.notNull(leases, "leases");
        List<Lease> all = new ArrayList<>(leases.size());
        Map<ObjectId, Lease> byId = new HashMap<>();
        for (Lease lease : leases) {
            Arguments.notNull(lease, "an element of leases");
            if (byId.put(Entries.objectId(lease.id()), lease) != null) {
                throw new IllegalArgumentException("leases held job " + lease.id() + " twice but may hold each job once");
            }
            all.add(lease);
        }
        if (all.isEmpty()) {
            return new CompletionResult(List.of(), List.of());
        }
        return store.runner.run("doneAll of " + all.size() + " leases", attempt -> {
            List<WriteModel<Document>> deletes = new ArrayList<>(all.size());
            all.forEach(lease -> deletes.add(new DeleteOneModel<>(fenced(lease))));
            if (store.entries.bulkWrite(deletes, new BulkWriteOptions().ordered(false)).getDeletedCount() == all.size()) {
                return new CompletionResult(all, List.of());
            }
            Set<Object> present = new HashSet<>();
            store.entries.find(in(ID, byId.keySet())).projection(Projections.include(ID))
                    .forEach(entry -> present.add(entry.get(ID)));
            Instant now = store.now();
            List<Lease> completed = new ArrayList<>();
            List<Lease> lost = new ArrayList<>();
            for (Lease lease : all) {
                boolean ours = !present.contains(Entries.objectId(lease.id())) && now.isBefore(lease.deadline());
                (ours ? completed : lost).add(lease);
            }
            return new CompletionResult(completed, lost);
        });
    }

    Optional<Lease> extend(Lease lease, Duration duration) {
        Arguments.notNull(lease, "lease");
        checkExtension(duration);
        return store.runner.run("extend of " + lease.id(), lease, attempt -> {
            Instant deadline = store.now().plus(duration);
            // Returns the stored deadline, which an earlier, longer extension may have set.
            Document after = store.entries.findOneAndUpdate(extendable(lease), extendTo(deadline), new FindOneAndUpdateOptions()
                    .projection(Projections.include(VISIBLE_AT)).returnDocument(ReturnDocument.AFTER));
            return after == null ? Optional.<Lease>empty()
                    : Optional.of(ClaimedLease.withDeadline(lease, later(after.getDate(VISIBLE_AT).toInstant(), deadline)));
        });
    }

    ExtensionResult extendAll(Collection<Lease> leases, Duration duration) {
        Arguments.notNull(leases, "leases");
        checkExtension(duration);
        if (leases.isEmpty()) {
            return new ExtensionResult(List.of(), List.of());
        }
        List<Lease> all = List.copyOf(leases);
        return store.runner.run("extendAll of " + all.size() + " leases", attempt -> {
            Instant deadline = store.now().plus(duration);
            List<WriteModel<Document>> updates = new ArrayList<>(all.size());
            for (Lease lease : all) {
                updates.add(new UpdateOneModel<>(extendable(lease), extendTo(deadline)));
            }
            BulkWriteResult result = store.entries.bulkWrite(updates, new BulkWriteOptions().ordered(false));
            List<Lease> extended = new ArrayList<>();
            List<Lease> lost = new ArrayList<>();
            List<Lease> cancelRequested = new ArrayList<>();
            if (result.getMatchedCount() == all.size()) {
                all.forEach(lease -> extended.add(ClaimedLease.withDeadline(lease, later(lease.deadline(), deadline))));
                return new ExtensionResult(extended, lost, cancelRequested);
            }
            // Some did not match: lost, or to be cancelled. A token still in place without a
            // cancellation request means that update applied (on an earlier try of this call).
            Map<String, Document> held = new HashMap<>();
            store.entries.find(in(ID, all.stream().map(lease -> Entries.objectId(lease.id())).toList()))
                    .projection(Projections.include(LEASE_TOKEN, CANCEL_REQUESTED_AT))
                    .forEach(entry -> held.put(entry.getObjectId(ID).toHexString(), entry));
            for (Lease lease : all) {
                Document entry = held.get(lease.id());
                if (entry == null || !lease.token().equals(entry.get(LEASE_TOKEN))) {
                    lost.add(lease);
                } else if (entry.get(CANCEL_REQUESTED_AT) != null) {
                    cancelRequested.add(lease);
                } else {
                    extended.add(ClaimedLease.withDeadline(lease, later(lease.deadline(), deadline)));
                }
            }
            return new ExtensionResult(extended, lost, cancelRequested);
        });
    }

    /**
     * The fence of an extension: the lease, and no cancellation request. A heartbeat thus learns of
     * a request in the round trip it makes anyway (the entry does not match, and the read-back of
     * unmatched leases, needed for lost ones already, tells the two apart).
     */
    private static Document extendable(Lease lease) {
        return new Document(ID, Entries.objectId(lease.id())).append(LEASE_TOKEN, lease.token())
                .append(CANCEL_REQUESTED_AT, new Document("$exists", false));
    }

    /**
     * Extensions only ever move a deadline later ({@code $max}): when a heartbeat and a handler's
     * own extension race, the database keeps the later deadline whatever order they land in, so
     * the deadline a worker remembers is never later than the stored one.
     */
    private static Document extendTo(Instant deadline) {
        return new Document("$max", new Document(VISIBLE_AT, Date.from(deadline)));
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    ReleaseResult release(Lease lease, Duration delay, JobError error) {
        Arguments.notNull(lease, "lease");
        if (delay == null || delay.isNegative() || delay.compareTo(JobRequest.MAX_DELAY) > 0) {
            throw new IllegalArgumentException("delay was " + delay + " but must be zero or positive and at most "
                    + JobRequest.MAX_DELAY);
        }
        return finish(lease, error, lease.attempt(), lease.workerId(), lease.isLastAttempt(), delay,
                "release of " + lease.id());
    }

    ReleaseResult deadLetter(Lease lease, JobError error) {
        Arguments.notNull(lease, "lease");
        return finish(lease, error, lease.attempt(), lease.workerId(), true, Duration.ZERO, "dead-letter of " + lease.id());
    }

    /**
     * Releases or dead-letters the entry under {@code lease}, recording {@code error} as the
     * failure of {@code failedAttempt} by {@code failedWorker}. The update carries a token made for
     * this one call, so a retry after a lost reply recognises its own effect and nothing else (an
     * earlier release with the same lease wrote another token).
     */
    ReleaseResult finish(Lease lease, JobError error, int failedAttempt, String failedWorker, boolean dead,
            Duration delay, String operation) {
        String callToken = store.newToken();
        return store.runner.run(operation, lease, attempt -> {
            Instant now = store.now();
            Document recorded = Entries.errorDocument(error, failedAttempt, failedWorker, now);
            Document set = new Document(RELEASED_TOKEN, callToken);
            Document unset = new Document(LEASE_TOKEN, "").append(CLAIMED_AT, "");
            if (dead) {
                set.append(STATE, DEAD).append(DEAD_AT, Date.from(now));
                unset.append(VISIBLE_AT, "").append(ACTIVE_DEDUP_KEY, "");
            } else {
                set.append(STATE, READY).append(VISIBLE_AT, Date.from(now.plus(delay)));
                unset.append(WORKER_ID, "");
            }
            Document update = Entries.recordError(set, recorded).append("$unset", unset);
            boolean applied = store.updateFencedRecordingError(fenced(lease), update, recorded)
                    || attempt > 1 && appliedEarlier(lease, callToken);
            return applied ? (dead ? ReleaseResult.DEAD_LETTERED : ReleaseResult.RETRY_SCHEDULED) : ReleaseResult.LEASE_LOST;
        });
    }

    boolean giveBack(Lease lease) {
        Arguments.notNull(lease, "lease");
        String callToken = store.newToken();
        return store.runner.run("give-back of " + lease.id(), lease, attempt -> {
            Document update = new Document("$set", new Document(STATE, READY).append(VISIBLE_AT, Date.from(store.now()))
                    .append(RELEASED_TOKEN, callToken))
                    .append("$inc", new Document(ATTEMPTS, -1))
                    .append("$unset", new Document(LEASE_TOKEN, "").append(WORKER_ID, "").append(CLAIMED_AT, ""));
            return store.updateFenced(fenced(lease), update) || attempt > 1 && appliedEarlier(lease, callToken);
        });
    }

    /** Read by id alone and compared here: a find with more conditions than the id scans on the embedded server. */
    private boolean appliedEarlier(Lease lease, String callToken) {
        Document entry = store.entries.find(eq(ID, Entries.objectId(lease.id())))
                .projection(Projections.include(RELEASED_TOKEN)).first();
        return entry != null && callToken.equals(entry.get(RELEASED_TOKEN));
    }
}
