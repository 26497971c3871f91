package io.docjobs.mongo;

import static io.docjobs.mongo.ScheduleDocuments.DEFINITION;
import static io.docjobs.mongo.ScheduleDocuments.ID;
import static io.docjobs.mongo.ScheduleDocuments.LAST;
import static io.docjobs.mongo.ScheduleDocuments.LAST_JOB;
import static io.docjobs.mongo.ScheduleDocuments.LAST_PENDING;
import static io.docjobs.mongo.ScheduleDocuments.LAST_VISIBLE_AT;
import static io.docjobs.mongo.ScheduleDocuments.NEXT_TIME;
import static io.docjobs.mongo.ScheduleDocuments.PAUSED;
import static io.docjobs.mongo.ScheduleDocuments.UPDATED_AT;
import static io.docjobs.mongo.ScheduleDocuments.VERSION;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import io.docjobs.Schedule;
import io.docjobs.Schedules;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bson.Document;
import org.bson.types.ObjectId;

/** The {@link Schedules} of a {@link MongoJobQueue}: definitions and admin writes here, firing in {@link ScheduleFirer}. */
final class MongoSchedules implements Schedules {
    private final EntryStore store;
    private final Enqueuer enqueuer;
    private final ScheduleFirer firer;

    MongoSchedules(EntryStore store, Enqueuer enqueuer, ScheduleFirer firer) {
        this.store = store;
        this.enqueuer = enqueuer;
        this.firer = firer;
    }

    @Override
    public Status define(Schedule schedule) {
        Arguments.notNull(schedule, "schedule");
        Document wanted = ScheduleDocuments.definition(schedule);
        return store.runner.run("definition of schedule " + schedule.id(), attempt -> {
            for (int round = 0; ; round++) {
                Instant now = store.now();
                Document stored = store.schedules.find(new Document(ID, schedule.id())).first();
                if (stored == null) {
                    Document created = new Document(ID, schedule.id()).append(VERSION, 1).append(DEFINITION, wanted)
                            .append(PAUSED, schedule.paused()).append(UPDATED_AT, Date.from(now));
                    schedule.nextTimeAfter(now).ifPresent(next -> created.append(NEXT_TIME, Date.from(next)));
                    try {
                        store.schedules.insertOne(created);
                        return ScheduleDocuments.status(created);
                    } catch (MongoWriteException e) {
                        // Another process (or an earlier try of ours) created it: apply the definition as an update.
                        if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY || round > 2) {
                            throw e;
                        }
                        continue;
                    }
                }
                Document current = stored.get(DEFINITION, Document.class);
                if (current.equals(wanted)) {
                    return ScheduleDocuments.status(stored);
                }
                Document set = new Document(DEFINITION, wanted).append(UPDATED_AT, Date.from(now));
                Document update = new Document("$set", set);
                Document filter = new Document(ID, schedule.id());
                if (!ScheduleDocuments.sameTiming(current, wanted)) {
                    // A new timing starts from now; a firing under way finds nextTime changed and does not commit.
                    restart(stored, schedule, now, filter, set, update);
                }
                if (store.schedules.updateOne(filter, update).getMatchedCount() == 1) {
                    return ScheduleDocuments.status(store.schedules.find(new Document(ID, schedule.id())).first());
                }
                if (round > 5) {
                    throw new IllegalStateException("schedule " + schedule.id() + " kept changing while it was defined");
                }
            }
        });
    }

    @Override
    public List<Status> list() {
        return store.runner.run("list of schedules", attempt -> store.schedules.find().sort(Sorts.ascending(ID))
                .map(ScheduleDocuments::status).into(new ArrayList<>()));
    }

    @Override
    public Optional<Status> get(String id) {
        Arguments.notNull(id, "id");
        return store.runner.run("get of schedule " + id, attempt -> Optional.ofNullable(
                store.schedules.find(new Document(ID, id)).first()).map(ScheduleDocuments::status));
    }

    @Override
    public Change pause(String id) {
        Arguments.notNull(id, "id");
        return store.runner.run("pause of schedule " + id, attempt -> {
            long changed = store.schedules.updateOne(new Document(ID, id).append(PAUSED, false),
                    new Document("$set", new Document(PAUSED, true).append(UPDATED_AT, Date.from(store.now()))))
                    .getModifiedCount();
            return changed == 1 ? Change.CHANGED : exists(id) ? Change.UNCHANGED : Change.NOT_FOUND;
        });
    }

    @Override
    public Change resume(String id) {
        Arguments.notNull(id, "id");
        return store.runner.run("resume of schedule " + id, attempt -> {
            Document stored = store.schedules.find(new Document(ID, id)).first();
            if (stored == null) {
                return Change.NOT_FOUND;
            }
            if (!Boolean.TRUE.equals(stored.getBoolean(PAUSED))) {
                return Change.UNCHANGED;
            }
            Instant now = store.now();
            Document set = new Document(PAUSED, false).append(UPDATED_AT, Date.from(now));
            Document update = new Document("$set", set);
            Document filter = new Document(ID, id).append(PAUSED, true);
            // Times that passed while paused never fire: they are not misfires.
            restart(stored, ScheduleDocuments.schedule(stored), now, filter, set, update);
            long changed = store.schedules.updateOne(filter, update).getModifiedCount();
            // No match: a firing that was under way when it was paused committed meanwhile; say so, the caller may retry.
            return changed == 1 ? Change.CHANGED : Change.UNCHANGED;
        });
    }

    @Override
    public Change remove(String id) {
        Arguments.notNull(id, "id");
        Optional<Document> found = store.runner.run("removal of schedule " + id,
                attempt -> Optional.ofNullable(store.schedules.findOneAndDelete(new Document(ID, id))));
        if (found.isEmpty()) {
            return Change.NOT_FOUND;
        }
        Document removed = found.get();
        // A firing committed just before the removal still becomes its job; held ones that no commit names go.
        Document last = removed.get(LAST, Document.class);
        ObjectId lastJob = last == null ? null : last.getObjectId(LAST_JOB);
        if (lastJob != null && Boolean.TRUE.equals(last.getBoolean(LAST_PENDING))) {
            firer.releaseHeld(lastJob, last.get(LAST_VISIBLE_AT) instanceof Date date ? date : null);
        }
        firer.collectHeld(id, null, lastJob);
        return Change.CHANGED;
    }

    @Override
    public Optional<String> trigger(String id) {
        Arguments.notNull(id, "id");
        Optional<Status> status = get(id);
        return status.map(found -> enqueuer.enqueue(ScheduleDocuments.request(found.schedule())).id());
    }

    @Override
    public List<Firing> fireDue(String owner) {
        return firer.fireDue(owner);
    }

    @Override
    public Optional<Instant> nextDue() {
        // A handful of documents: read them all rather than keep an index for this.
        Document fireable = new Document("$or", List.of(new Document(PAUSED, false),
                new Document(ScheduleDocuments.dotted(LAST, LAST_PENDING), true)));
        List<Document> found = store.runner.run("next time of the schedules", attempt -> store.schedules.find(fireable)
                .projection(Projections.include(NEXT_TIME, PAUSED, LAST)).into(new ArrayList<>()));
        Instant earliest = null;
        for (Document schedule : found) {
            Document last = schedule.get(LAST, Document.class);
            Instant due = last != null && Boolean.TRUE.equals(last.getBoolean(LAST_PENDING))
                    ? ScheduleDocuments.instant(last, ScheduleDocuments.LAST_TIME)
                    : Boolean.TRUE.equals(schedule.getBoolean(PAUSED)) ? null : ScheduleDocuments.instant(schedule, NEXT_TIME);
            if (due != null && (earliest == null || due.isBefore(earliest))) {
                earliest = due;
            }
        }
        return Optional.ofNullable(earliest);
    }

    /**
     * Sets the next time to the schedule's first after now, and never at or before the time it last
     * fired for (a commit may have landed between our read and now, and clocks differ by
     * milliseconds); the update applies only while the next time is still the one read, so it
     * cannot move a time that was committed meanwhile back into the future.
     */
    private static void restart(Document stored, Schedule schedule, Instant now, Document filter, Document set,
            Document update) {
        Document last = stored.get(LAST, Document.class);
        Instant lastTime = last == null ? null : ScheduleDocuments.instant(last, ScheduleDocuments.LAST_TIME);
        Instant from = lastTime != null && lastTime.isAfter(now) ? lastTime : now;
        Optional<Instant> next = schedule.nextTimeAfter(from);
        if (next.isPresent()) {
            set.append(NEXT_TIME, Date.from(next.get()));
        } else {
            update.append("$unset", new Document(NEXT_TIME, ""));
        }
        filter.append(NEXT_TIME, stored.get(NEXT_TIME));
    }

    private boolean exists(String id) {
        return store.schedules.find(new Document(ID, id)).first() != null;
    }
}
