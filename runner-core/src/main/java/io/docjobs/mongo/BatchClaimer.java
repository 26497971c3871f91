package io.docjobs.mongo;

import static io.docjobs.mongo.Arguments.MAX_BATCH;
import static io.docjobs.mongo.Arguments.checkTypes;
import static io.docjobs.mongo.Arguments.checkWorker;
import static io.docjobs.mongo.Claimer.CLAIM_ROUNDS;
import static io.docjobs.mongo.Claimer.QUARANTINE_ROUNDS;
import static io.docjobs.mongo.Claimer.claimableById;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;
import static io.docjobs.mongo.EntryStore.LOG;

import io.docjobs.Lease;
import io.docjobs.mongo.Claimer.Candidates;
import io.docjobs.mongo.Claimer.ClaimTry;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
            ClaimTry claim = new ClaimTry(store.newToken());
            Map<String, Integer> passRoom = Map.copyOf(room);
            ClaimPass result;
            try {
                result = store.runner.run("claimBatch of " + passRoom.keySet(), attempt -> {
                    if (attempt > 1) {
                        List<Lease> recovered = claimer.recoverClaimed(claim.tried, claim.token, workerId);
                        if (!recovered.isEmpty()) {
                            // How many candidates the lost try saw is unknown: let another pass look.
                            return new ClaimPass(wanted, wanted, recovered.size(), recovered, 0, false);
                        }
                    }
                    return claimPass(passRoom, workerId, wanted, claim);
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
            boolean moreExist = result.found() >= result.asked();
            boolean lostRaces = result.leases().size() < result.eligible();
            boolean skipped = result.eligible() < result.found();
            if (!result.cut() && (!moreExist || !lostRaces && !skipped)) {
                break;
            }
        }
        return claimed;
    }

    /**
     * Candidates asked for (each type's room, at most the wanted number in all) and read,
     * well-formed candidates within their type's room, the leases won of those, and entries
     * quarantined. As many read as asked for means more may wait.
     */
    private record ClaimPass(int asked, int found, int eligible, List<Lease> leases, int quarantined, boolean cut) {
    }

    /**
     * One pass of a batch claim: read the next candidates (one query per type, each served in claim
     * order by the claim index), keep those within their type's room, and lease them all in one
     * bulk write under the pass's token, each fenced by its id and the visible-at it was read with
     * (see {@link Claimer#leaseAll}). Malformed candidates are quarantined before the leasing,
     * malformed entries after it.
     */
    private ClaimPass claimPass(Map<String, Integer> room, String workerId, int wanted, ClaimTry claim) {
        Candidates candidates = claimer.candidates(room, wanted);
        Map<String, Integer> left = new HashMap<>(room);
        List<Document> chosen = new ArrayList<>();
        int quarantinedHere = 0;
        boolean cut = false;
        for (Document candidate : candidates.entries()) {
            if (chosen.size() == wanted) {
                break;
            }
            String problem = store.schema.problems(candidate);
            if (problem != null) {
                quarantinedHere += quarantine.quarantine(claimableById(store.now(), candidate), candidate, problem,
                        workerId) ? 1 : 0;
                continue;
            }
            if (quarantine.expiredOnLastAttempt(candidate)) {
                quarantinedHere += quarantine.deadLetterExpired(candidate) ? 1 : 0;
                continue;
            }
            String type = candidate.getString(TYPE);
            if (left.getOrDefault(type, 0) <= 0) {
                continue; // no room for another of this type in this round
            }
            if (candidates.passesOverUnread(candidate, left)) {
                cut = true; // the next pass reads the types whose unread entries may come first
                break;
            }
            chosen.add(candidate);
            left.merge(type, -1, Integer::sum);
        }
        List<Lease> leases = new ArrayList<>();
        Map<Object, Document> won = claimer.leaseAll(chosen, workerId, claim);
        for (Document candidate : chosen) {
            Document entry = won.get(candidate.get(ID));
            if (entry == null) {
                continue; // another worker took it
            }
            Optional<Lease> lease = quarantine.leaseOrQuarantine(entry, candidate.getDate(VISIBLE_AT), claim.token,
                    workerId);
            if (lease.isPresent()) {
                leases.add(lease.get());
            } else {
                quarantinedHere++;
            }
        }
        return new ClaimPass(candidates.asked(), candidates.entries().size(), chosen.size(), leases, quarantinedHere,
                cut);
    }
}
