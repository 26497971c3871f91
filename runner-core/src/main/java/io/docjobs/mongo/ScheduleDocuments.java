package io.docjobs.mongo;

import io.docjobs.JobRequest;
import io.docjobs.Schedule;
import io.docjobs.Schedules;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Date;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.jspecify.annotations.Nullable;

/**
 * The schedule schema: the field names of the schedules collection and the mapping between its
 * documents and {@link Schedule} / {@link Schedules.Status}. One document per schedule:
 *
 * <pre>
 * { _id: id, v: 1, definition: {...}, paused: bool, nextTime: date (absent: none),
 *   last: { time, job: ObjectId, enqueuedAt, visibleAt, pending: bool },
 *   lease: { owner, token, until } }
 * </pre>
 *
 * {@code last.pending} is true from the commit of a firing until its job was made ready;
 * {@code lease} is present while a scheduler fires the schedule.
 */
final class ScheduleDocuments {
    static final String ID = "_id";
    static final String VERSION = "v";
    static final String DEFINITION = "definition";
    static final String PAUSED = "paused";
    static final String NEXT_TIME = "nextTime";
    static final String LAST = "last";
    static final String LAST_TIME = "time";
    static final String LAST_JOB = "job";
    static final String LAST_ENQUEUED_AT = "enqueuedAt";
    static final String LAST_VISIBLE_AT = "visibleAt";
    static final String LAST_PENDING = "pending";
    static final String LEASE = "lease";
    static final String LEASE_OWNER = "owner";
    static final String LEASE_TOKEN = "token";
    static final String LEASE_UNTIL = "until";
    static final String UPDATED_AT = "updatedAt";

    private static final String TYPE = "type";
    private static final String CRON = "cron";
    private static final String INTERVAL_MS = "intervalMs";
    private static final String ZONE = "zone";
    private static final String PAYLOAD = "payload";
    private static final String PRIORITY = "priority";
    private static final String VISIBILITY_MS = "visibilityMs";
    private static final String MAX_ATTEMPTS = "maxAttempts";
    private static final String JITTER_MS = "jitterMs";
    private static final String MISFIRE = "misfire";
    private static final String MISFIRE_MAX = "misfireMax";
    private static final String MISFIRE_THRESHOLD_MS = "misfireThresholdMs";
    private static final String OVERLAP = "overlap";
    private static final String STARTS_PAUSED = "startsPaused";

    private ScheduleDocuments() {
    }

    static String dotted(String parent, String field) {
        return parent + "." + field;
    }

    static Document definition(Schedule schedule) {
        Document definition = new Document(TYPE, schedule.type());
        if (schedule.cron() != null) {
            definition.append(CRON, schedule.cron());
        } else {
            definition.append(INTERVAL_MS, schedule.interval().toMillis());
        }
        definition.append(ZONE, schedule.zone().getId())
                .append(PAYLOAD, schedule.payloadDocument() != null ? schedule.payloadDocument() : schedule.payloadText())
                .append(PRIORITY, schedule.priority());
        if (schedule.visibilityTimeout() != null) {
            definition.append(VISIBILITY_MS, schedule.visibilityTimeout().toMillis());
        }
        if (schedule.maxAttempts() != null) {
            definition.append(MAX_ATTEMPTS, schedule.maxAttempts());
        }
        return definition.append(JITTER_MS, schedule.jitter().toMillis())
                .append(MISFIRE, schedule.misfire().policy().name())
                .append(MISFIRE_MAX, schedule.misfire().max())
                .append(MISFIRE_THRESHOLD_MS, schedule.misfireThreshold().toMillis())
                .append(OVERLAP, schedule.overlap().name())
                .append(STARTS_PAUSED, schedule.paused());
    }

    /** The definition stored in {@code document}, as written by {@link #definition}. */
    static Schedule schedule(Document document) {
        Document d = document.get(DEFINITION, Document.class);
        Schedule.Builder builder = Schedule.builder(document.getString(ID), d.getString(TYPE));
        if (d.get(CRON) != null) {
            builder.cron(d.getString(CRON));
        } else {
            builder.interval(Duration.ofMillis(((Number) d.get(INTERVAL_MS)).longValue()));
        }
        builder.zone(ZoneId.of(d.getString(ZONE)));
        if (d.get(PAYLOAD) instanceof Document payload) {
            builder.payload(payload);
        } else {
            builder.payload(d.get(PAYLOAD) == null ? "" : d.getString(PAYLOAD));
        }
        builder.priority(d.getInteger(PRIORITY, 0));
        if (d.get(VISIBILITY_MS) != null) {
            builder.visibilityTimeout(Duration.ofMillis(((Number) d.get(VISIBILITY_MS)).longValue()));
        }
        builder.maxAttempts(d.getInteger(MAX_ATTEMPTS));
        builder.jitter(Duration.ofMillis(((Number) d.get(JITTER_MS)).longValue()));
        Schedule.Misfire.Policy policy = Schedule.Misfire.Policy.valueOf(d.getString(MISFIRE));
        builder.misfire(new Schedule.Misfire(policy, d.getInteger(MISFIRE_MAX, 0)));
        builder.misfireThreshold(Duration.ofMillis(((Number) d.get(MISFIRE_THRESHOLD_MS)).longValue()));
        builder.overlap(Schedule.Overlap.valueOf(d.getString(OVERLAP)));
        builder.paused(Boolean.TRUE.equals(d.getBoolean(STARTS_PAUSED)));
        return builder.build();
    }

    /** The job type of a stored schedule, without building the whole definition. */
    static String type(Document document) {
        return document.get(DEFINITION, Document.class).getString(TYPE);
    }

    static Schedules.Status status(Document document) {
        Document last = document.get(LAST, Document.class);
        if (last == null) {
            return new Schedules.Status(schedule(document), Boolean.TRUE.equals(document.getBoolean(PAUSED)),
                    instant(document, NEXT_TIME), null, null, null);
        }
        ObjectId job = last.getObjectId(LAST_JOB);
        return new Schedules.Status(schedule(document), Boolean.TRUE.equals(document.getBoolean(PAUSED)),
                instant(document, NEXT_TIME), instant(last, LAST_TIME), job == null ? null : job.toHexString(),
                instant(last, LAST_ENQUEUED_AT));
    }

    /** Whether the timing (when it fires) differs; other changes keep the next time. */
    static boolean sameTiming(Document stored, Document wanted) {
        return java.util.Objects.equals(stored.get(CRON), wanted.get(CRON))
                && java.util.Objects.equals(stored.get(INTERVAL_MS), wanted.get(INTERVAL_MS))
                && java.util.Objects.equals(stored.get(ZONE), wanted.get(ZONE));
    }

    /** The job request one firing of {@code schedule} makes. */
    static JobRequest request(Schedule schedule) {
        JobRequest.Builder request = JobRequest.builder(schedule.type()).priority(schedule.priority())
                .visibilityTimeout(schedule.visibilityTimeout());
        if (schedule.payloadDocument() != null) {
            request.payload(schedule.payloadDocument());
        } else {
            request.payload(schedule.payloadText());
        }
        if (schedule.maxAttempts() != null) {
            request.maxAttempts(schedule.maxAttempts());
        }
        return request.build();
    }

    static Document last(Instant time, ObjectId job, Instant enqueuedAt, Instant visibleAt) {
        return new Document(LAST_TIME, Date.from(time)).append(LAST_JOB, job)
                .append(LAST_ENQUEUED_AT, Date.from(enqueuedAt)).append(LAST_VISIBLE_AT, Date.from(visibleAt))
                .append(LAST_PENDING, true);
    }

    static @Nullable Instant instant(Document document, String field) {
        return document.get(field) instanceof Date date ? date.toInstant() : null;
    }
}
