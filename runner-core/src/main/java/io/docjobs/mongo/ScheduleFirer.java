package io.docjobs.mongo;

import static io.docjobs.mongo.EntryStore.LOG;
import static io.docjobs.mongo.ScheduleDocuments.ID;
import static io.docjobs.mongo.ScheduleDocuments.LAST;
import static io.docjobs.mongo.ScheduleDocuments.LAST_JOB;
import static io.docjobs.mongo.ScheduleDocuments.LAST_PENDING;
import static io.docjobs.mongo.ScheduleDocuments.LAST_VISIBLE_AT;
import static io.docjobs.mongo.ScheduleDocuments.LEASE;
import static io.docjobs.mongo.ScheduleDocuments.LEASE_OWNER;
import static io.docjobs.mongo.ScheduleDocuments.LEASE_TOKEN;
import static io.docjobs.mongo.ScheduleDocuments.LEASE_UNTIL;
import static io.docjobs.mongo.ScheduleDocuments.NEXT_TIME;
import static io.docjobs.mongo.ScheduleDocuments.PAUSED;
import static io.docjobs.mongo.ScheduleDocuments.UPDATED_AT;
import static io.docjobs.mongo.ScheduleDocuments.dotted;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import io.docjobs.JobRequest;
import io.docjobs.Schedule;
import io.docjobs.Schedules.Firing;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.jspecify.annotations.Nullable;

/**
 * Fires due schedules, exactly once per time, without transactions. The protocol (the README's
 * "Schedules" has the argument in full):
 *
 * <ol>
 *   <li><b>Lease.</b> A scheduler takes the schedule's lease (owner, fresh token, until now + {@link #LEASE_TIME})
 *       if it is free or expired. Every later write to the schedule is fenced by that token.
 *   <li><b>Complete the last firing.</b> If {@code last.pending}, the job it names is made ready. Anyone may do
 *       this, lease or not: it is the one committed firing not yet ready.
 *   <li><b>Hold.</b> Insert the job with a fresh id in state {@code held}: no query of the queue
 *       matches it, so it cannot run, be counted or be listed.
 *   <li><b>Commit.</b> One update, fenced by the lease token and {@code nextTime == T}: {@code nextTime}
 *       moves past T and {@code last} names the held job, pending. At most one commit per T can
 *       succeed, since {@code nextTime} only moves forward.
 *   <li><b>Release the job.</b> The held job becomes ready; {@code last.pending} false. Only the job
 *       named in {@code last} is ever made ready, and a scheduler completes it before it commits
 *       another, so every committed firing is made ready, once.
 *   <li>If the commit failed (the lease was lost, the schedule changed), the held job is deleted: it
 *       was never committed and can never be. Held jobs a crashed scheduler left behind are deleted by
 *       the next scheduler that takes over its expired lease.
 * </ol>
 *
 * A held job is never made ready twice and a job is never held again after it ran: completing a
 * job that was deleted by {@code done} finds nothing held, so a crash between any two steps costs
 * at most a held job that is cleaned up, never a second job.
 */
final class ScheduleFirer {
    /** How long a scheduler holds a schedule's lease: far longer than one round of firings takes. */
    static final Duration LEASE_TIME = Duration.ofMinutes(1);
    /** The most times one round fires or skips per schedule, so a round ends well within its lease. */
    static final int MAX_STEPS_PER_ROUND = 50;

    private final EntryStore store;
    private final EnqueueNotifier notifier;

    ScheduleFirer(EntryStore store, EnqueueNotifier notifier) {
        this.store = store;
        this.notifier = notifier;
    }

    List<Firing> fireDue(String owner) {
        Arguments.notNull(owner, "owner");
        Instant now = store.now();
        Document due = new Document("$or", List.of(
                new Document(PAUSED, false).append(NEXT_TIME, new Document("$lte", Date.from(now))),
                new Document(dotted(LAST, LAST_PENDING), true)));
        List<Document> candidates = store.runner.run("poll of due schedules",
                attempt -> store.schedules.find(due).into(new ArrayList<>()));
        List<Firing> firings = new ArrayList<>();
        for (Document candidate : candidates) {
            String id = candidate.getString(ID);
            try {
                fire(candidate, owner, now, firings);
            } catch (RuntimeException e) {
                // One schedule failing (the database, a definition written by hand) must not stop the others.
                LOG.warn("schedule {} on {} was not fired this round: {}", id, store.name, OperationRunner.describe(e));
            }
        }
        return firings;
    }

    private void fire(Document candidate, String owner, Instant now, List<Firing> firings) {
        String id = candidate.getString(ID);
        completeLast(candidate);
        Instant next = ScheduleDocuments.instant(candidate, NEXT_TIME);
        if (Boolean.TRUE.equals(candidate.getBoolean(PAUSED)) || next == null || next.isAfter(now)) {
            return;
        }
        String token = store.newToken();
        Optional<Document> before = acquire(id, owner, token, now);
        if (before.isEmpty()) {
            return;
        }
        try {
            fireLeased(before.get(), token, now, firings);
        } finally {
            release(id, token);
        }
    }

    private void fireLeased(Document before, String token, Instant now, List<Firing> firings) {
        String id = before.getString(ID);
        Document last = before.get(LAST, Document.class);
        // The lease was taken: from here on only this scheduler changes the schedule's firing fields,
        // so what was read with the lease stays true until the commits below.
        completeLast(before);
        Document previousLease = before.get(LEASE, Document.class);
        Instant nextTime = ScheduleDocuments.instant(before, NEXT_TIME);
        if (previousLease != null) {
            collectHeld(id, nextTime, last == null ? null : last.getObjectId(LAST_JOB));
        }
        if (Boolean.TRUE.equals(before.getBoolean(PAUSED))) {
            return;
        }
        Schedule schedule = ScheduleDocuments.schedule(before);
        ObjectId lastJob = last == null ? null : last.getObjectId(LAST_JOB);
        Instant due = nextTime;
        for (int step = 0; step < MAX_STEPS_PER_ROUND && due != null && !due.isAfter(now); step++) {
            FiringPlan plan = FiringPlan.decide(schedule, due, now);
            Firing.Outcome skipped = plan.fire() ? null : Firing.Outcome.MISFIRE_SKIPPED;
            if (plan.fire() && schedule.overlap() == Schedule.Overlap.SKIP_IF_RUNNING && lastJob != null
                    && unfinished(lastJob)) {
                skipped = Firing.Outcome.OVERLAP_SKIPPED;
            }
            if (skipped != null) {
                if (!advance(id, token, due, plan.next())) {
                    return;
                }
                firings.add(new Firing(id, plan.time(), skipped, null, Duration.ZERO, plan.missed()));
            } else {
                ObjectId job = new ObjectId();
                Instant visibleAt = visibleAt(schedule, plan.time(), now);
                hold(job, schedule, plan.time(), now);
                if (!commit(id, token, due, plan, job, now, visibleAt)) {
                    deleteHeld(job);
                    return;
                }
                complete(id, schedule.type(), job, visibleAt);
                lastJob = job;
                firings.add(new Firing(id, plan.time(), Firing.Outcome.ENQUEUED, job.toHexString(),
                        Duration.between(plan.time(), now), plan.missed()));
            }
            due = plan.next();
        }
    }

    /** Takes the lease if free or expired; the document before, or empty if another scheduler holds it. */
    private Optional<Document> acquire(String id, String owner, String token, Instant now) {
        Document free = new Document(ID, id).append("$or", List.of(
                new Document(LEASE, null),
                new Document(dotted(LEASE, LEASE_UNTIL), new Document("$lte", Date.from(now)))));
        Document lease = new Document(LEASE_OWNER, owner).append(LEASE_TOKEN, token)
                .append(LEASE_UNTIL, Date.from(now.plus(LEASE_TIME)));
        return store.runner.run("lease of schedule " + id, attempt -> {
            Document before = store.schedules.findOneAndUpdate(free, new Document("$set", new Document(LEASE, lease)),
                    new FindOneAndUpdateOptions().returnDocument(ReturnDocument.BEFORE));
            if (before == null && attempt > 1) {
                // An earlier try may have taken it before its reply was lost: then it is ours, but what
                // it replaced is unknown, so behave as after a takeover.
                Document mine = store.schedules.find(new Document(ID, id).append(dotted(LEASE, LEASE_TOKEN), token)).first();
                if (mine != null) {
                    return Optional.of(mine.append(LEASE, new Document(LEASE_OWNER, "unknown")));
                }
            }
            return Optional.ofNullable(before);
        });
    }

    private void release(String id, String token) {
        try {
            store.runner.runVoid("lease release of schedule " + id, attempt -> store.schedules.updateOne(
                    new Document(ID, id).append(dotted(LEASE, LEASE_TOKEN), token),
                    new Document("$unset", new Document(LEASE, ""))));
        } catch (RuntimeException e) {
            // The lease expires by itself; the next round of any scheduler takes it then.
            LOG.debug("lease of schedule {} on {} not released, it expires: {}", id, store.name, e.toString());
        }
    }

    /** Makes the job of a committed firing ready, if it is still held; then marks the firing complete. */
    private void completeLast(Document schedule) {
        Document last = schedule.get(LAST, Document.class);
        if (last != null && Boolean.TRUE.equals(last.getBoolean(LAST_PENDING)) && last.getObjectId(LAST_JOB) != null) {
            complete(schedule.getString(ID), ScheduleDocuments.type(schedule), last.getObjectId(LAST_JOB),
                    ScheduleDocuments.instant(last, LAST_VISIBLE_AT));
        }
    }

    private void complete(String id, String type, ObjectId job, Instant visibleAt) {
        boolean released = releaseHeld(job, Date.from(visibleAt));
        store.runner.runVoid("completion of schedule " + id, attempt -> store.schedules.updateOne(
                new Document(ID, id).append(dotted(LAST, LAST_JOB), job).append(dotted(LAST, LAST_PENDING), true),
                new Document("$set", new Document(dotted(LAST, LAST_PENDING), false))));
        if (released) {
            // Wakes this process's idle pollers, as a local enqueue does.
            notifier.enqueued(Set.of(type));
        }
    }

    /**
     * Makes a committed firing's job ready, if it is still held (a crash, or the removal of its
     * schedule, may come between commit and release); whether this call did.
     */
    boolean releaseHeld(ObjectId job, @Nullable Date visibleAt) {
        return store.runner.run("release of scheduled job " + job.toHexString(), attempt ->
                store.entries.updateOne(new Document(Entries.ID, job).append(Entries.STATE, Entries.HELD),
                        new Document("$set", new Document(Entries.STATE, Entries.READY)
                                .append(Entries.VISIBLE_AT, visibleAt))).getModifiedCount() == 1);
    }

    private void hold(ObjectId job, Schedule schedule, Instant time, Instant now) {
        JobRequest request = ScheduleDocuments.request(schedule);
        Duration visibility = request.visibilityTimeout() != null ? request.visibilityTimeout()
                : store.config.defaultVisibilityTimeout();
        int maxAttempts = request.maxAttempts() != null ? request.maxAttempts() : store.config.defaultMaxAttempts();
        Document entry = Entries.newEntry(job, request, now, visibility, maxAttempts, null);
        entry.put(Entries.STATE, Entries.HELD);
        entry.remove(Entries.VISIBLE_AT);
        entry.append(Entries.SCHEDULE_ID, schedule.id()).append(Entries.SCHEDULED_AT, Date.from(time));
        store.runner.runVoid("held insert for schedule " + schedule.id(), attempt -> {
            try {
                store.entries.insertOne(entry);
            } catch (MongoWriteException e) {
                // A duplicate of a fresh id is an earlier try of this insert whose reply was lost.
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY || attempt == 1) {
                    throw e;
                }
            }
        });
    }

    /** The fenced commit of one firing; true if it (or an earlier try of it) applied. */
    private boolean commit(String id, String token, Instant due, FiringPlan plan, ObjectId job, Instant now,
            Instant visibleAt) {
        Document set = new Document(ScheduleDocuments.LAST, ScheduleDocuments.last(plan.time(), job, now, visibleAt))
                .append(UPDATED_AT, Date.from(now));
        return store.runner.run("commit of schedule " + id, attempt -> {
            boolean applied = store.schedules.updateOne(fence(id, token, due), nextTime(set, plan.next()))
                    .getModifiedCount() == 1;
            // After a lost reply: the commit is ours if the schedule names our job (it can name a later
            // one only after a takeover, which makes our job ready first: then deleting it finds nothing held).
            return applied || attempt > 1 && store.schedules.find(new Document(ID, id).append(dotted(LAST, LAST_JOB), job))
                    .projection(Projections.include(ID)).first() != null;
        });
    }

    /** Skips the due time: the fenced move of {@code nextTime} alone. */
    private boolean advance(String id, String token, Instant due, @Nullable Instant next) {
        return store.runner.run("skip of schedule " + id, attempt -> {
            boolean applied = store.schedules.updateOne(fence(id, token, due), nextTime(new Document(), next))
                    .getModifiedCount() == 1;
            return applied || attempt > 1 && store.schedules.find(new Document(ID, id)
                    .append(dotted(LEASE, LEASE_TOKEN), token).append(NEXT_TIME, next == null ? null : Date.from(next)))
                    .projection(Projections.include(ID)).first() != null;
        });
    }

    private static Document fence(String id, String token, Instant due) {
        return new Document(ID, id).append(dotted(LEASE, LEASE_TOKEN), token).append(NEXT_TIME, Date.from(due));
    }

    private static Document nextTime(Document set, @Nullable Instant next) {
        if (next != null) {
            return new Document("$set", set.append(NEXT_TIME, Date.from(next)));
        }
        Document update = new Document("$unset", new Document(NEXT_TIME, ""));
        return set.isEmpty() ? update : update.append("$set", set);
    }

    private void deleteHeld(ObjectId job) {
        store.runner.runVoid("delete of uncommitted job " + job.toHexString(), attempt -> store.entries.deleteOne(
                new Document(Entries.ID, job).append(Entries.STATE, Entries.HELD)));
    }

    /**
     * Deletes held jobs of the schedule that no commit names: those for times before its next time
     * (all times when null: the schedule is gone) other than the last firing's. Safe on a read of
     * any age: the firings of times before the next time are settled for good (commits only move
     * the next time forward), and each committed one but the last was made ready before the next
     * commit.
     */
    void collectHeld(String id, @Nullable Instant nextTime, @Nullable ObjectId lastJob) {
        Document held = new Document(Entries.SCHEDULE_ID, id).append(Entries.STATE, Entries.HELD);
        if (nextTime != null) {
            held.append(Entries.SCHEDULED_AT, new Document("$lt", Date.from(nextTime)));
        }
        if (lastJob != null) {
            held.append(Entries.ID, new Document("$ne", lastJob));
        }
        long deleted = store.runner.run("clean-up of held jobs of schedule " + id,
                attempt -> store.entries.deleteMany(held).getDeletedCount());
        if (deleted > 0) {
            LOG.info("schedule {} on {}: deleted {} held jobs of firings that were never committed", id, store.name,
                    deleted);
        }
    }

    private boolean unfinished(ObjectId job) {
        Optional<Document> entry = store.runner.run("overlap check of job " + job.toHexString(), attempt -> Optional
                .ofNullable(store.entries.find(new Document(Entries.ID, job)).projection(Projections.include(Entries.STATE))
                        .first()));
        return entry.isPresent()
                && List.of(Entries.HELD, Entries.READY, Entries.LEASED).contains(entry.get().get(Entries.STATE));
    }

    /** The time plus a fixed offset per schedule and time below the jitter, so every scheduler picks the same. */
    static Instant visibleAt(Schedule schedule, Instant time, Instant now) {
        Instant at = time;
        long jitterMs = schedule.jitter().toMillis();
        if (jitterMs > 0) {
            CRC32 crc = new CRC32();
            crc.update(schedule.id().getBytes(StandardCharsets.UTF_8));
            crc.update(ByteBuffer.allocate(Long.BYTES).putLong(0, time.toEpochMilli()));
            at = time.plusMillis(crc.getValue() % (jitterMs + 1));
        }
        return at.isBefore(now) ? now : at;
    }
}
