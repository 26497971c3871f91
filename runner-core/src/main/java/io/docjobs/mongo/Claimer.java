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

import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import io.docjobs.Lease;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.List;
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
            // The token is made once per claim, outside the retried code: a retry after a lost reply
            // first looks for the entry the earlier try leased under it, instead of stranding it.
            String token = store.newToken();
            Optional<Lease> lease = store.runner.run("claim of " + typeSet, attempt -> {
                if (attempt > 1) {
                    List<Lease> recovered = recoverClaimed(typeSet, token, workerId);
                    if (!recovered.isEmpty()) {
                        return Optional.of(recovered.get(0));
                    }
                }
                return claimOne(typeSet, workerId, token);
            });
            if (lease.isEmpty() || !quarantine.expiredOnLastAttempt(lease.get())) {
                return lease;
            }
        }
    }

    /**
     * Reads a few candidates in claim order, then leases the first one still claimable with a
     * {@code findOneAndUpdate} on its id that writes the entry's own deadline: a crash between the
     * steps leaves nothing hidden, and no entry is ever hidden longer than its own timeout.
     * Malformed candidates are quarantined on the way.
     */
    private Optional<Lease> claimOne(Set<String> types, String workerId, String token) {
        int contended = 0;
        int quarantining = 0;
        while (contended < CLAIM_ROUNDS) {
            List<Document> candidates = candidates(types, CLAIM_CANDIDATES);
            if (candidates.isEmpty()) {
                return Optional.empty();
            }
            boolean quarantinedAny = false;
            for (Document candidate : candidates) {
                String problem = store.schema.problems(candidate);
                if (problem != null) {
                    quarantinedAny |= quarantine.quarantine(claimableById(types, store.now(), candidate), candidate,
                            problem, workerId);
                    continue;
                }
                if (quarantine.expiredOnLastAttempt(candidate)) {
                    quarantinedAny |= quarantine.deadLetterExpired(types, candidate);
                    continue;
                }
                // Read after the candidates: the deadline counts from when the lease is written.
                Instant now = store.now();
                Instant deadline = now.plus(store.schema.visibilityTimeout(candidate));
                Document won = store.entries.findOneAndUpdate(claimableById(types, now, candidate),
                        claimUpdate(token, workerId, deadline, now),
                        new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
                if (won != null) {
                    Optional<Lease> lease = quarantine.leaseOrQuarantine(won, candidate.getDate(VISIBLE_AT), token, workerId);
                    if (lease.isPresent()) {
                        return lease;
                    }
                    quarantinedAny = true;
                }
            }
            if (candidates.size() < CLAIM_CANDIDATES) {
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

    /** The first {@code limit} entries claimable now, in claim order, with only the fields a claim decides on. */
    List<Document> candidates(Set<String> types, int limit) {
        return store.entries.find(claimable(types, store.now())).sort(CLAIM_ORDER).limit(limit)
                .projection(EntrySchema.CANDIDATE_FIELDS).into(new ArrayList<>());
    }

    /**
     * The entries an earlier try of this claim leased under {@code token} before its reply was
     * lost, with their deadlines set to now + their own timeout.
     */
    List<Lease> recoverClaimed(Set<String> types, String token, String workerId) {
        Instant now = store.now();
        List<Lease> leases = new ArrayList<>();
        for (Document entry : store.entries.find(new Document(STATE, LEASED)
                .append(TYPE, new Document("$in", List.copyOf(types))).append(LEASE_TOKEN, token))) {
            String problem = store.schema.problems(entry);
            if (problem != null) {
                quarantine.quarantine(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token), entry, problem, workerId);
                continue;
            }
            Instant deadline = now.plus(store.schema.visibilityTimeout(entry));
            if (store.entries.updateOne(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token),
                    new Document("$set", new Document(VISIBLE_AT, Date.from(deadline)))).getMatchedCount() == 1) {
                entry.put(VISIBLE_AT, Date.from(deadline));
                leases.add(Entries.leaseFromClaimed(entry, null, store.schema));
            }
        }
        if (!leases.isEmpty()) {
            LOG.info("recovered {} entries leased by a claim whose reply was lost", leases.size());
        }
        return leases;
    }

    /** Filters are flat documents rather than {@code $and}s so the embedded server can use its _id index. */
    static Document claimable(Set<String> types, Instant now) {
        return new Document(STATE, new Document("$in", List.of(READY, LEASED)))
                .append(TYPE, new Document("$in", List.copyOf(types)))
                .append(VISIBLE_AT, new Document("$lte", Date.from(now)));
    }

    /** {@link #claimable} for one candidate: the fence of its lease or its quarantine. */
    static Document claimableById(Set<String> types, Instant now, Document candidate) {
        return claimable(types, now).append(ID, candidate.get(ID));
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
