package io.docjobs.mongo;

import static io.docjobs.mongo.Arguments.MAX_BATCH;
import static io.docjobs.mongo.Arguments.checkTypes;
import static io.docjobs.mongo.Arguments.checkWorker;
import static io.docjobs.mongo.Claimer.CLAIM_ROUNDS;
import static io.docjobs.mongo.Claimer.QUARANTINE_ROUNDS;
import static io.docjobs.mongo.Claimer.claimUpdate;
import static io.docjobs.mongo.Claimer.claimable;
import static io.docjobs.mongo.Claimer.claimableById;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LEASE_TOKEN;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;
import static io.docjobs.mongo.EntryStore.LOG;

import io.docjobs.Lease;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.bson.Document;

/**
 * Claims many entries in a fixed number of round trips, within per-type limits: the server sorts
 * once per pass, not once per job, which is what makes batches cheap on a backlog.
 */
final class BatchClaimer {
    private final EntryStore store;
    private final Claimer claimer;
    private final Quarantine quarantine;

    BatchClaimer(EntryStore store, Claimer claimer, Quarantine quarantine) {
        this.store = store;
        this.claimer = claimer;
        this.quarantine = quarantine;
    }

    List<Lease> claimBatch(Collection<String> types, String workerId, int max) {
        Map<String, Integer> limits = new HashMap<>();
        checkTypes(types).forEach(type -> limits.put(type, max));
        return claimBatch(limits, workerId, max);
    }

    List<Lease> claimBatch(Map<String, Integer> limits, String workerId, int max) {
        Arguments.notNull(limits, "limits");
        Set<String> typeSet = checkTypes(limits.keySet());
        checkWorker(workerId);
        if (max < 1 || max > MAX_BATCH) {
            throw new IllegalArgumentException("max was " + max + " but must be between 1 and " + MAX_BATCH);
        }
        Map<String, Integer> room = new HashMap<>();
        limits.forEach((type, limit) -> {
            if (limit == null || limit < 0) {
                throw new IllegalArgumentException("limit of type \"" + type + "\" was " + limit
                        + " but must be zero or positive");
            }
            if (limit > 0) {
                room.put(type, Math.min(limit, max));
            }
        });
        List<Lease> claimed = new ArrayList<>();
        // A few passes at most: a later pass takes the place of entries other workers won, of
        // entries skipped because their type had no room left, or of entries quarantined.
        int passes = 0;
        int quarantining = 0;
        while (passes < CLAIM_ROUNDS && claimed.size() < max && !room.isEmpty()) {
            int wanted = max - claimed.size();
            String token = store.newToken();
            Set<String> passTypes = Set.copyOf(room.keySet());
            Map<String, Integer> passRoom = Map.copyOf(room);
            ClaimPass result;
            try {
                result = store.runner.run("claimBatch of " + passTypes, attempt -> {
                    if (attempt > 1) {
                        List<Lease> recovered = claimer.recoverClaimed(passTypes, token, workerId);
                        if (!recovered.isEmpty()) {
                            // How many candidates the lost try saw is unknown: let another pass look.
                            return new ClaimPass(wanted, recovered.size(), recovered, 0);
                        }
                    }
                    return claimPass(passTypes, passRoom, workerId, wanted, token);
                });
            } catch (RuntimeException e) {
                if (claimed.isEmpty()) {
                    throw e;
                }
                // The leases of earlier passes are ours: hand them out rather than strand them.
                LOG.warn("claimBatch of {} on {}: a later pass failed ({}); returning the {} leases already won",
                        typeSet, store.name, e.getMessage(), claimed.size());
                return claimed;
            }
            for (Lease lease : result.leases()) {
                room.computeIfPresent(lease.type(), (type, left) -> left > 1 ? left - 1 : null);
                if (!quarantine.expiredOnLastAttemptQuietly(lease)) {
                    claimed.add(lease);
                }
            }
            if (result.quarantined() > 0 && quarantining < QUARANTINE_ROUNDS) {
                quarantining++;
            } else {
                passes++;
            }
            boolean moreExist = result.found() == wanted;
            boolean lostRaces = result.leases().size() < result.eligible();
            boolean skipped = result.eligible() < result.found();
            if (!moreExist || !lostRaces && !skipped) {
                break;
            }
        }
        return claimed;
    }

    /** Candidates read, well-formed candidates within their type's room, the leases won of those, and entries quarantined. */
    private record ClaimPass(int found, int eligible, List<Lease> leases, int quarantined) {
    }

    /**
     * One pass of a batch claim: read the next candidates, keep those within their type's room,
     * lease those still claimable with one {@code updateMany} per distinct visibility timeout (all
     * under one fresh token), and read back the entries that now carry the token. The fence is the
     * claimable condition itself, evaluated atomically per entry, so nothing read in the first step
     * can let two workers win the same entry; and only entries we now own are read in full.
     * Malformed candidates are quarantined before the leasing, malformed entries read back after it.
     */
    private ClaimPass claimPass(Set<String> types, Map<String, Integer> room, String workerId, int wanted, String token) {
        List<Document> candidates = claimer.candidates(types, wanted);
        if (candidates.isEmpty()) {
            return new ClaimPass(0, 0, List.of(), 0);
        }
        Map<String, Integer> left = new HashMap<>(room);
        Map<Long, List<Object>> idsByVisibility = new TreeMap<>();
        Map<Object, Date> visibleSince = new LinkedHashMap<>();
        int quarantinedHere = 0;
        for (Document candidate : candidates) {
            String problem = store.schema.problems(candidate);
            if (problem != null) {
                quarantinedHere += quarantine.quarantine(claimableById(types, store.now(), candidate), candidate, problem,
                        workerId) ? 1 : 0;
                continue;
            }
            if (quarantine.expiredOnLastAttempt(candidate)) {
                quarantinedHere += quarantine.deadLetterExpired(types, candidate) ? 1 : 0;
                continue;
            }
            String type = candidate.getString(TYPE);
            if (left.merge(type, -1, Integer::sum) < 0) {
                continue; // no room for another of this type in this round
            }
            idsByVisibility.computeIfAbsent(store.schema.visibilityTimeout(candidate).toMillis(), ms -> new ArrayList<>())
                    .add(candidate.get(ID));
            visibleSince.put(candidate.get(ID), candidate.getDate(VISIBLE_AT));
        }
        if (visibleSince.isEmpty()) {
            return new ClaimPass(candidates.size(), 0, List.of(), quarantinedHere);
        }
        // Read after the candidates: deadlines count from when the leases are written.
        Instant now = store.now();
        long won = 0;
        for (Map.Entry<Long, List<Object>> group : idsByVisibility.entrySet()) {
            Document filter = claimable(types, now).append(ID, new Document("$in", group.getValue()));
            Instant deadline = now.plusMillis(group.getKey());
            won += store.entries.updateMany(filter, claimUpdate(token, workerId, deadline, now)).getModifiedCount();
        }
        if (won == 0) {
            return new ClaimPass(candidates.size(), visibleSince.size(), List.of(), quarantinedHere);
        }
        Map<Object, Document> owned = new HashMap<>();
        store.entries.find(new Document(ID, new Document("$in", List.copyOf(visibleSince.keySet()))).append(LEASE_TOKEN, token))
                .forEach(entry -> owned.put(entry.get(ID), entry));
        List<Lease> leases = new ArrayList<>(owned.size());
        for (Map.Entry<Object, Date> candidate : visibleSince.entrySet()) {
            Document entry = owned.get(candidate.getKey());
            if (entry != null) {
                Optional<Lease> lease = quarantine.leaseOrQuarantine(entry, candidate.getValue(), token, workerId);
                lease.ifPresent(leases::add);
                quarantinedHere += lease.isEmpty() ? 1 : 0;
            }
        }
        return new ClaimPass(candidates.size(), visibleSince.size(), leases, quarantinedHere);
    }
}
