package io.docjobs.mongo;

import static io.docjobs.mongo.Arguments.checkTypes;
import static io.docjobs.mongo.Arguments.checkWorker;
import static io.docjobs.mongo.Entries.ATTEMPTS;
import static io.docjobs.mongo.Entries.CLAIMED_AT;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LEASED;
import static io.docjobs.mongo.Entries.LEASE_TOKEN;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;
import static io.docjobs.mongo.Entries.WORKER_ID;
import static io.docjobs.mongo.EntryStore.LOG;

import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import io.docjobs.Lease;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * Claims one entry at a time, and holds what every claim shares: the claim order and filters, the
 * candidate read, and the recovery of entries a claim leased before its reply was lost.
 */
final class Claimer {
    /** Candidates one single claim reads: enough that a few workers racing for the head rarely all miss. */
    static final int CLAIM_CANDIDATES = 4;
    /** Candidate reads per claim: bounds the work a claim does under heavy contention. */
    static final int CLAIM_ROUNDS = 3;
    /**
     * Further candidate reads a claim may make after reads that found malformed entries, so good
     * entries behind a few of them are still claimed by the same call; bounded, so a flood of them
     * cannot hold one call for long (the next call goes on).
     */
    static final int QUARANTINE_ROUNDS = 8;
    static final Bson CLAIM_ORDER = Sorts.orderBy(Sorts.descending(PRIORITY), Sorts.ascending(VISIBLE_AT));
    /** {@link #CLAIM_ORDER} on the client, for merging the candidates of several types; lenient about malformed fields. */
    static final Comparator<Document> URGENCY = Comparator
            .comparingInt((Document entry) -> -EntrySchema.intValue(entry, PRIORITY, 0))
            .thenComparing(entry -> entry.get(VISIBLE_AT) instanceof Date date ? date : new Date(0));

    private final EntryStore store;
    private final Quarantine quarantine;

    Claimer(EntryStore store, Quarantine quarantine) {
        this.store = store;
        this.quarantine = quarantine;
    }

    Optional<Lease> claim(Collection<String> types, String workerId) {
        Set<String> typeSet = checkTypes(types);
        checkWorker(workerId);
        while (true) {
            // Made once per claim, outside the retried code: a retry after a lost reply first looks
            // for the entry the earlier try leased under this token, instead of stranding it.
            ClaimTry claim = new ClaimTry(store.newToken());
            Optional<Lease> lease = store.runner.run("claim of " + typeSet, attempt -> {
                if (attempt > 1) {
                    List<Lease> recovered = recoverClaimed(claim.tried, claim.token, workerId);
                    if (!recovered.isEmpty()) {
                        return Optional.of(recovered.get(0));
                    }
                }
                return claimOne(typeSet, workerId, claim);
            });
            if (lease.isEmpty() || !quarantine.expiredOnLastAttempt(lease.get())) {
                return lease;
            }
        }
    }

    /** The token of one claim (or one pass of a batch claim) and the entries it tried to lease under it. */
    static final class ClaimTry {
        final String token;
        final Set<Object> tried = new LinkedHashSet<>();

        ClaimTry(String token) {
            this.token = token;
        }
    }

    /**
     * Reads a few candidates in claim order, then leases the first one still claimable with a
     * {@code findOneAndUpdate} on its id that writes the entry's own deadline: a crash between the
     * steps leaves nothing hidden, and no entry is ever hidden longer than its own timeout.
     * Malformed candidates are quarantined on the way.
     */
    private Optional<Lease> claimOne(Set<String> types, String workerId, ClaimTry claim) {
        int contended = 0;
        int quarantining = 0;
        // Each type is read a few candidates deep; any of them may take the one lease.
        Map<String, Integer> perType = new HashMap<>();
        Map<String, Integer> anyType = new HashMap<>();
        types.forEach(type -> {
            perType.put(type, CLAIM_CANDIDATES);
            anyType.put(type, 1);
        });
        while (contended < CLAIM_ROUNDS) {
            Candidates candidates = candidates(perType, CLAIM_CANDIDATES);
            if (candidates.entries().isEmpty()) {
                return Optional.empty();
            }
            boolean quarantinedAny = false;
            for (Document candidate : candidates.entries()) {
                String problem = store.schema.problems(candidate);
                if (problem != null) {
                    quarantinedAny |= quarantine.quarantine(claimableById(store.now(), candidate), candidate,
                            problem, workerId);
                    continue;
                }
                if (quarantine.expiredOnLastAttempt(candidate)) {
                    quarantinedAny |= quarantine.deadLetterExpired(candidate);
                    continue;
                }
                if (candidates.passesOverUnread(candidate, anyType)) {
                    break; // read again: an unread entry of another type may come first
                }
                Optional<Document> won = lease(candidate, workerId, claim);
                if (won.isPresent()) {
                    Optional<Lease> lease = quarantine.leaseOrQuarantine(won.get(), candidate.getDate(VISIBLE_AT),
                            claim.token, workerId);
                    if (lease.isPresent()) {
                        return lease;
                    }
                    quarantinedAny = true;
                }
            }
            if (candidates.frontiers().isEmpty()) {
                return Optional.empty(); // every candidate there was went to other workers or to quarantine
            }
            if (quarantinedAny && quarantining < QUARANTINE_ROUNDS) {
                quarantining++;
            } else {
                contended++;
            }
        }
        return Optional.empty();
    }

    /**
     * Leases one well-formed candidate if it is still claimable: one {@code findOneAndUpdate} on its
     * id that writes the entry's own deadline and returns the whole entry, so nothing is read back.
     * The fence is the claimable condition, evaluated atomically, so of several workers that read the
     * same candidate exactly one wins it.
     */
    Optional<Document> lease(Document candidate, String workerId, ClaimTry claim) {
        // Read after the candidates: the deadline counts from when the lease is written.
        Instant now = store.now();
        Instant deadline = now.plus(store.schema.visibilityTimeout(candidate));
        claim.tried.add(candidate.get(ID)); // before the write: its reply may be the one lost
        return Optional.ofNullable(store.entries.findOneAndUpdate(claimableById(now, candidate),
                claimUpdate(claim.token, workerId, deadline, now),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER)));
    }

    /**
     * Leases {@code candidates} (well-formed, read by {@link #candidates}) in two round trips under
     * {@code claim}'s token: one unordered bulk write of one update per entry, fenced by its id and
     * the visible-at it was read with, then one read of the entries by id; those carrying the token
     * are won, returned whole by id. The fence is the claim condition: a visible-at in the past
     * means the entry is claimable now (a lease or a release writes a later one, dead and held
     * entries have none), so of several workers that read the same candidate exactly one wins it.
     * Both steps use only {@code _id}-led equality, which MongoDB and DocumentDB serve from the
     * {@code _id} index and the embedded server from {@link EntryIndexes#LEASE_FENCE_INDEX}; a
     * fence with a range or a second condition would have it scan the collection once per entry.
     */
    Map<Object, Document> leaseAll(List<Document> candidates, String workerId, ClaimTry claim) {
        if (candidates.isEmpty()) {
            return Map.of();
        }
        // Read after the candidates: the deadlines count from when the leases are written.
        Instant now = store.now();
        List<WriteModel<Document>> updates = new ArrayList<>(candidates.size());
        List<Object> ids = new ArrayList<>(candidates.size());
        for (Document candidate : candidates) {
            Object id = candidate.get(ID);
            ids.add(id);
            claim.tried.add(id); // before the write: its reply may be the one lost
            Instant deadline = now.plus(store.schema.visibilityTimeout(candidate));
            updates.add(new UpdateOneModel<>(new Document(ID, id).append(VISIBLE_AT, candidate.get(VISIBLE_AT)),
                    claimUpdate(claim.token, workerId, deadline, now)));
        }
        if (store.entries.bulkWrite(updates, new BulkWriteOptions().ordered(false)).getMatchedCount() == 0) {
            return Map.of();
        }
        Map<Object, Document> won = new HashMap<>();
        for (Document entry : store.entries.find(new Document(ID, new Document("$in", ids)))) {
            if (claim.token.equals(entry.get(LEASE_TOKEN))) {
                won.put(entry.get(ID), entry);
            }
        }
        return won;
    }

    /**
     * The claimable entries of one read, most urgent first; how many were asked for (each type's
     * limit, at most the read's limit in all): as many read means more may wait; and, for each type
     * whose read came back full, its last candidate: that type's unread entries are none of them
     * more urgent than it.
     */
    record Candidates(List<Document> entries, int asked, Map<String, Document> frontiers) {
        /**
         * Whether taking {@code candidate} could pass over a more urgent entry not read: one of a
         * type that still has {@code room} and whose unread entries may come before it. A claim
         * stops there and reads again, so claim order holds across types even when candidates
         * ahead of it were quarantined or lost to other workers.
         */
        boolean passesOverUnread(Document candidate, Map<String, Integer> room) {
            for (Map.Entry<String, Document> frontier : frontiers.entrySet()) {
                if (room.getOrDefault(frontier.getKey(), 0) > 0 && URGENCY.compare(candidate, frontier.getValue()) > 0) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * The claimable entries now, most urgent first, at most {@code min(limits.get(type), limit)} of
     * each type, with only the fields a claim decides on. One equality query per type, merged
     * here: each is served in claim order by the claim index on MongoDB and DocumentDB (a single
     * query with {@code type: {$in}} needs a merge of sorted index ranges, which DocumentDB does not
     * do and MongoDB does only for small {@code $in}s), and on the embedded server, which scans for
     * any filter, each is one scan whose in-memory sort holds one type's entries.
     */
    Candidates candidates(Map<String, Integer> limits, int limit) {
        Instant now = store.now();
        List<Document> found = new ArrayList<>();
        Map<String, Document> frontiers = new HashMap<>();
        int askedInAll = 0;
        for (Map.Entry<String, Integer> type : limits.entrySet()) {
            int asked = Math.min(type.getValue(), limit);
            askedInAll += asked;
            List<Document> read = store.entries.find(claimableOf(type.getKey(), now)).sort(CLAIM_ORDER).limit(asked)
                    .projection(EntrySchema.CANDIDATE_FIELDS).into(new ArrayList<>());
            if (read.size() == asked) {
                frontiers.put(type.getKey(), read.get(asked - 1));
            }
            found.addAll(read);
        }
        // One type's read is in this order already, and sorting a sorted list is one linear pass.
        found.sort(URGENCY);
        return new Candidates(found, Math.min(limit, askedInAll), frontiers);
    }

    /**
     * The entries an earlier try of this claim leased under {@code token} before its reply was
     * lost, with their deadlines set to now + their own timeout. The try leased only among
     * {@code tried}, so they are read by id (served by the {@code _id} index everywhere) and the
     * token is checked here.
     */
    List<Lease> recoverClaimed(Collection<Object> tried, String token, String workerId) {
        if (tried.isEmpty()) {
            return List.of();
        }
        Instant now = store.now();
        List<Lease> leases = new ArrayList<>();
        for (Document entry : store.entries.find(new Document(ID, new Document("$in", List.copyOf(tried))))) {
            if (!token.equals(entry.get(LEASE_TOKEN))) {
                continue;
            }
            String problem = store.schema.problems(entry);
            if (problem != null) {
                quarantine.quarantine(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token), entry, problem, workerId);
                continue;
            }
            Instant deadline = now.plus(store.schema.visibilityTimeout(entry));
            if (store.updateFenced(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token),
                    new Document("$set", new Document(VISIBLE_AT, Date.from(deadline))))) {
                entry.put(VISIBLE_AT, Date.from(deadline));
                leases.add(Entries.leaseFromClaimed(entry, null, store.schema));
            }
        }
        if (!leases.isEmpty()) {
            LOG.info("recovered {} entries leased by a claim whose reply was lost", leases.size());
        }
        return leases;
    }

    /** Claimable entries of one type: READY or LEASED (dead entries have no visible-at) and due. */
    static Document claimableOf(String type, Instant now) {
        return new Document(TYPE, type)
                .append(VISIBLE_AT, new Document("$lte", Date.from(now)))
                .append(STATE, new Document("$in", List.of(READY, LEASED)));
    }

    /**
     * The fence of one candidate's lease or quarantine: it is still claimable. The {@code _id}
     * comes first and the filter is flat, which is what lets the embedded server find the entry by
     * its {@code _id} index instead of scanning; the type needs no check, it never changes.
     */
    static Document claimableById(Instant now, Document candidate) {
        return new Document(ID, candidate.get(ID))
                .append(STATE, new Document("$in", List.of(READY, LEASED)))
                .append(VISIBLE_AT, new Document("$lte", Date.from(now)));
    }

    static Document claimUpdate(String token, String workerId, Instant deadline, Instant now) {
        return new Document("$set", new Document(STATE, LEASED)
                .append(LEASE_TOKEN, token)
                .append(WORKER_ID, workerId)
                .append(VISIBLE_AT, Date.from(deadline))
                .append(CLAIMED_AT, Date.from(now)))
                .append("$inc", new Document(ATTEMPTS, 1));
    }
}
