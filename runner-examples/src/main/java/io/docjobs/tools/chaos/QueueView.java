package io.docjobs.tools.chaos;

import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import io.docjobs.JobState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * Reads the run's database directly, by the documented schema (README, "Schema, states and
 * indexes"): the queue collection for what is left, {@link Effects#COLLECTION} for what ran, and
 * {@code <collection>_schedules} for whether a schedule is being fired. The analysis must not depend
 * on the queue API it is checking.
 *
 * <p>Entries made by a schedule carry {@code scheduleId}; the producer's do not. The counts that
 * drive the run's end ({@link #count()}, {@link #entries()}) are of the producer's entries only,
 * since a schedule's entries come every second and a firing cut short leaves a {@code held} entry
 * that never runs.
 */
final class QueueView {
    private static final String STATE = "state";
    private static final String TYPE = "type";
    private static final String VISIBLE_AT = "visibleAt";
    private static final String WORKER_ID = "workerId";
    private static final String SCHEDULE_ID = "scheduleId";
    private static final String SCHEDULED_AT = "scheduledAt";
    private static final String ENQUEUED_AT = "enqueuedAt";
    private static final String SCHEDULES_SUFFIX = "_schedules";
    private static final String LEASE = "lease";
    private static final String LAST = "last";

    private final MongoDatabase database;
    private final String collection;

    QueueView(MongoDatabase database, String collection) {
        this.database = database;
        this.collection = collection;
    }

    /** The producer's entries in the queue now that are still to run: dead letters (poison jobs) have ended. */
    long count() {
        return database.getCollection(collection).countDocuments(Filters.and(Filters.exists(SCHEDULE_ID, false),
                Filters.ne(STATE, JobState.DEAD.stored())));
    }

    /**
     * READY entries of the common type now (claimable or waiting for a retry): the producer's
     * backlog. Long jobs waiting for one of their capped slots are not counted, or they would hold
     * back the short jobs and leave the other slots idle.
     */
    long readyBacklog() {
        return database.getCollection(collection).countDocuments(Filters.and(Filters.eq(STATE, JobState.READY.stored()),
                Filters.eq(TYPE, ChaosHandler.TYPE)));
    }

    /**
     * The ids of the LEASED entries held by the supervisor named {@code name}: worker ids are
     * {@code host-pid-name}, and the run's names ({@code chaos-N}) are unique.
     */
    Set<String> leasedBy(String name) {
        Set<String> ids = new HashSet<>();
        for (Document entry : database.getCollection(collection).find(Filters.and(
                Filters.eq(STATE, JobState.LEASED.stored()), Filters.regex(WORKER_ID, "-" + Pattern.quote(name) + "$")))
                .projection(Projections.include("_id"))) {
            ids.add(id(entry));
        }
        return ids;
    }

    /** LEASED entries whose deadline passed before {@code before}. */
    long leasedExpiredBefore(Instant before) {
        return database.getCollection(collection).countDocuments(Filters.and(
                Filters.eq(STATE, JobState.LEASED.stored()), Filters.lt(VISIBLE_AT, Date.from(before))));
    }

    /** Every entry of the producer's left in the queue, by id. */
    Map<String, Analysis.Entry> entries() {
        Map<String, Analysis.Entry> entries = new HashMap<>();
        for (Document entry : database.getCollection(collection).find(Filters.exists(SCHEDULE_ID, false))
                .projection(Projections.include(STATE, VISIBLE_AT))) {
            String id = id(entry);
            Date visibleAt = entry.getDate(VISIBLE_AT);
            entries.put(id, new Analysis.Entry(id, entry.getString(STATE), visibleAt == null ? null : visibleAt.toInstant()));
        }
        return entries;
    }

    /** Every entry a schedule made that is left in the queue, in any state, {@code held} included. */
    List<ScheduleCheck.Entry> scheduledEntries() {
        List<ScheduleCheck.Entry> entries = new ArrayList<>();
        for (Document entry : database.getCollection(collection).find(Filters.exists(SCHEDULE_ID, true))
                .projection(Projections.include(STATE, SCHEDULE_ID, SCHEDULED_AT, ENQUEUED_AT))) {
            entries.add(new ScheduleCheck.Entry(id(entry), entry.getString(SCHEDULE_ID), instant(entry, SCHEDULED_AT),
                    instant(entry, ENQUEUED_AT), entry.getString(STATE)));
        }
        return entries;
    }

    /** Entries a schedule made that still have to run: READY (claimable or waiting for a retry) or LEASED. */
    long scheduledUnfinished() {
        return database.getCollection(collection).countDocuments(Filters.and(Filters.exists(SCHEDULE_ID, true),
                Filters.in(STATE, JobState.READY.stored(), JobState.LEASED.stored())));
    }

    /**
     * Whether a scheduler may still fire or complete a firing of schedule {@code id}: it holds the
     * schedule's lease (until it expires), or a committed firing's job is not yet ready
     * ({@code last.pending}).
     */
    boolean scheduleBusy(String id, Instant now) {
        Document schedule = database.getCollection(collection + SCHEDULES_SUFFIX).find(Filters.eq("_id", id)).first();
        if (schedule == null) {
            return false;
        }
        Document lease = schedule.get(LEASE, Document.class);
        Document last = schedule.get(LAST, Document.class);
        boolean leased = lease != null && lease.getDate("until") != null && lease.getDate("until").toInstant().isAfter(now);
        return leased || last != null && Boolean.TRUE.equals(last.getBoolean("pending"));
    }

    private static Instant instant(Document document, String field) {
        Date date = document.getDate(field);
        return date == null ? null : date.toInstant();
    }

    private static String id(Document entry) {
        return entry.get("_id") instanceof ObjectId oid ? oid.toHexString() : String.valueOf(entry.get("_id"));
    }

    /** Every recorded execution. */
    List<Execution> executions() {
        List<Execution> executions = new ArrayList<>();
        for (Document effect : database.getCollection(Effects.COLLECTION).find()) {
            executions.add(Execution.from(effect));
        }
        return executions;
    }
}
