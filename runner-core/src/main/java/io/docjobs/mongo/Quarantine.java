package io.docjobs.mongo;

import static io.docjobs.mongo.Claimer.claimableById;
import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.ATTEMPTS;
import static io.docjobs.mongo.Entries.CLAIMED_AT;
import static io.docjobs.mongo.Entries.DEAD;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LEASED;
import static io.docjobs.mongo.Entries.LEASE_TOKEN;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;
import static io.docjobs.mongo.Entries.WORKER_ID;
import static io.docjobs.mongo.EntryStore.LOG;

import io.docjobs.JobError;
import io.docjobs.Lease;
import io.docjobs.MalformedEntryException;
import io.docjobs.ReleaseResult;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * What a claim must not hand out: malformed entries (quarantined as dead letters, counted) and
 * entries whose last attempt's lease expired (dead-lettered, never run again). Every such write is
 * fenced, so it cannot touch an entry another worker just claimed.
 */
final class Quarantine {
    private final EntryStore store;
    private final LeaseWriter leaseWriter;
    private final AtomicLong quarantined = new AtomicLong();

    Quarantine(EntryStore store, LeaseWriter leaseWriter) {
        this.store = store;
        this.leaseWriter = leaseWriter;
    }

    long quarantined() {
        return quarantined.get();
    }

    /**
     * The lease of an entry this claim just leased under {@code token}, or empty if the full entry
     * turned out malformed (a field the candidate read did not hold): then it is quarantined,
     * fenced by the token, instead of handed out.
     */
    Optional<Lease> leaseOrQuarantine(Document entry, Date visibleSince, String token, String workerId) {
        String problem = store.schema.problems(entry);
        if (problem == null) {
            return Optional.of(Entries.leaseFromClaimed(entry, visibleSince, store.schema));
        }
        quarantine(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token), entry, problem, workerId);
        return Optional.empty();
    }

    /**
     * Dead-letters a malformed entry with {@code problem} as its last error, if it still matches
     * {@code fence}: still claimable (so an entry another worker just leased is left alone), or
     * still carrying this claim's token. Counted and logged once per entry.
     *
     * @return whether this call quarantined it
     */
    boolean quarantine(Bson fence, Document entry, String problem, String workerId) {
        JobError error = JobError.of(new MalformedEntryException(problem));
        if (!deadLetterIfStill(fence, error, EntrySchema.intValue(entry, ATTEMPTS, 0), workerId)) {
            return false;
        }
        quarantined.incrementAndGet();
        LOG.warn("quarantined entry {} of type {} in {} as a dead letter: {}", Entries.idText(entry.get(ID)),
                EntrySchema.render(entry.get(TYPE)), store.name, problem);
        return true;
    }

    /**
     * Dead-letters the entry matching {@code fence} (so nothing another worker did since it was
     * read is overwritten), recording {@code error} as the failure of {@code attempt} by
     * {@code workerId}; whether it matched.
     */
    private boolean deadLetterIfStill(Bson fence, JobError error, int attempt, String workerId) {
        Instant now = store.now();
        Document recorded = Entries.errorDocument(error, attempt, workerId, now);
        Document update = Entries.recordError(new Document(STATE, DEAD).append(DEAD_AT, Date.from(now)), recorded)
                .append("$unset", new Document(VISIBLE_AT, "").append(ACTIVE_DEDUP_KEY, "").append(LEASE_TOKEN, "")
                        .append(CLAIMED_AT, ""));
        return store.updateFencedRecordingError(fence, update, recorded);
    }

    /** A candidate whose lease expired on its last attempt: it must not run again. */
    boolean expiredOnLastAttempt(Document candidate) {
        return LEASED.equals(candidate.get(STATE))
                && EntrySchema.intValue(candidate, ATTEMPTS, 0) >= store.schema.maxAttempts(candidate);
    }

    /**
     * Dead-letters a candidate whose last attempt's lease expired, without claiming it: the error
     * names that attempt and its worker. Fenced by "still claimable", so it cannot touch an entry
     * another worker just claimed (or dead-lettered).
     *
     * @return whether this call dead-lettered it
     */
    boolean deadLetterExpired(Document candidate) {
        int attempts = EntrySchema.intValue(candidate, ATTEMPTS, 0);
        int maxAttempts = store.schema.maxAttempts(candidate);
        Object worker = candidate.get(WORKER_ID);
        JobError error = JobError.of("attempt " + attempts + " of " + maxAttempts + " did not finish: its lease expired"
                + " without done or release (worker crashed, was killed or hung)");
        boolean done = deadLetterIfStill(claimableById(store.now(), candidate), error, attempts,
                worker instanceof String w ? w : null);
        if (done) {
            LOG.warn("entry {} of type \"{}\" used all {} attempts and its last lease (worker {}) expired: dead-lettered",
                    Entries.idText(candidate.get(ID)), candidate.get(TYPE), maxAttempts, worker);
        }
        return done;
    }

    /**
     * A lease whose previous holder let its last attempt expire (crashed, or killed by the job
     * itself) must not run again: it is dead-lettered here and not handed out.
     */
    boolean expiredOnLastAttempt(Lease lease) {
        if (lease.attempt() <= lease.maxAttempts()) {
            return false;
        }
        JobError error = JobError.of("attempt " + (lease.attempt() - 1) + " of " + lease.maxAttempts()
                + " did not finish: its lease expired without done or release (worker crashed, was killed or hung)");
        // The failed attempt is the one before this claim; its worker is gone, and not this one.
        ReleaseResult result = leaseWriter.finish(lease, error, lease.attempt() - 1, null, true, Duration.ZERO,
                "dead-letter of expired entry");
        LOG.warn("entry {} of type \"{}\" used all {} attempts and its last lease expired: {}", lease.id(), lease.type(),
                lease.maxAttempts(), result == ReleaseResult.DEAD_LETTERED ? "dead-lettered" : "taken by another worker");
        return true;
    }

    /** {@link #expiredOnLastAttempt(Lease)}, except that a failure to dead-letter only skips the lease. */
    boolean expiredOnLastAttemptQuietly(Lease lease) {
        try {
            return expiredOnLastAttempt(lease);
        } catch (RuntimeException e) {
            // Not ours to run either way: the next claim of the entry tries the dead-letter again.
            LOG.warn("could not dead-letter entry {} that used all its attempts: {}", lease.id(), e.getMessage());
            return true;
        }
    }
}
