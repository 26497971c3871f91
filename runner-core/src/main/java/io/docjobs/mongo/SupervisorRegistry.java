package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.LEASED;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.WORKER_ID;

import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOptions;
import io.docjobs.SupervisorInfo;
import io.docjobs.internal.Engine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The supervisor registry: one document per supervisor in {@code <collection>_supervisors}, written
 * by the supervisor once per interval ({@link #write}, an upsert by its worker id) and read by
 * operators ({@link #list}). Times are database time. Field names are the README's ("Supervisor
 * registry").
 */
final class SupervisorRegistry implements Engine.Registry {
    /** Appended to the queue's collection name for the registry's collection. */
    static final String SUFFIX = "_supervisors";
    static final String ID = "_id";
    static final String NAME = "name";
    static final String HOST = "host";
    static final String VERSION = "version";
    static final String TYPES = "types";
    static final String WORKERS = "workers";
    static final String IN_FLIGHT = "inFlight";
    static final String STARTED_AT = "startedAt";
    /** The database time of the last write; the TTL index removes documents a week after it. */
    static final String LAST_SEEN = "lastSeen";
    static final String STOPPED_AT = "stoppedAt";
    static final String INTERVAL_MS = "intervalMs";
    static final String COUNTS = "counts";
    static final String CLAIMED = "claimed";
    static final String SUCCEEDED = "succeeded";
    static final String RETRIED = "retried";
    static final String DEAD_LETTERED = "deadLettered";
    static final String TIMED_OUT = "timedOut";
    static final String LEASE_LOST = "leaseLost";
    static final String ABANDONED = "abandoned";
    static final String QUEUE_WAIT_MS = "queueWaitMs";
    static final String QUEUE_WAIT_COUNT = "queueWaitCount";
    static final String REGISTRY_ERRORS = "registryErrors";
    /** How long the database keeps a document after its last write: stopped and gone supervisors drop out. */
    static final Duration RETENTION = Duration.ofDays(7);

    private final EntryStore store;

    SupervisorRegistry(EntryStore store) {
        this.store = store;
    }

    /** One upsert: the supervisor's document as {@code beat} says, seen now. */
    @Override
    public void write(Engine.Beat beat) {
        store.runner.run("registry write of " + beat.workerId(), attempt -> {
            Date now = Date.from(store.now());
            SupervisorInfo.Counts c = beat.counts();
            Document set = new Document(NAME, beat.name()).append(HOST, beat.host()).append(VERSION, beat.version())
                    .append(TYPES, beat.types()).append(WORKERS, beat.workers()).append(IN_FLIGHT, beat.inFlight())
                    .append(INTERVAL_MS, beat.interval().toMillis()).append(LAST_SEEN, now)
                    .append(COUNTS, new Document(CLAIMED, c.claimed()).append(SUCCEEDED, c.succeeded())
                            .append(RETRIED, c.retried()).append(DEAD_LETTERED, c.deadLettered())
                            .append(TIMED_OUT, c.timedOut()).append(LEASE_LOST, c.leaseLost())
                            .append(ABANDONED, c.abandoned()).append(QUEUE_WAIT_MS, c.queueWaitMillis())
                            .append(QUEUE_WAIT_COUNT, c.queueWaitCount()).append(REGISTRY_ERRORS, c.registryErrors()));
            Document update = new Document("$set", set);
            if (beat.first()) {
                // A restart under the same worker id starts the document's life again.
                set.append(STARTED_AT, now);
                if (!beat.stopped()) {
                    update.append("$unset", new Document(STOPPED_AT, ""));
                }
            }
            if (beat.stopped()) {
                set.append(STOPPED_AT, now);
            }
            return store.supervisors.updateOne(new Document(ID, beat.workerId()), update, new UpdateOptions().upsert(true));
        });
    }

    /**
     * Every document, by id, with its status judged at database time now; for each gone supervisor
     * one more read, of the entries still leased under its worker id (the sparse worker index).
     */
    List<SupervisorInfo> list() {
        return store.runner.run("list of supervisors", attempt -> {
            Instant now = store.now();
            List<SupervisorInfo> supervisors = new ArrayList<>();
            for (Document document : store.supervisors.find().sort(Sorts.ascending(ID))) {
                supervisors.add(toInfo(document, now));
            }
            return supervisors;
        });
    }

    private SupervisorInfo toInfo(Document document, Instant now) {
        String id = Entries.text(document.get(ID));
        Instant lastSeen = instant(document, LAST_SEEN);
        Instant stoppedAt = instant(document, STOPPED_AT);
        Duration interval = Duration.ofMillis(Math.max(0, EntrySchema.intValue(document, INTERVAL_MS, 0)));
        SupervisorInfo.Status status;
        if (stoppedAt != null) {
            status = SupervisorInfo.Status.STOPPED;
        } else if (lastSeen == null || lastSeen.plus(interval.multipliedBy(SupervisorInfo.MISSED_INTERVALS)).isBefore(now)) {
            status = SupervisorInfo.Status.GONE;
        } else {
            status = SupervisorInfo.Status.ALIVE;
        }
        List<String> held = List.of();
        long heldCount = 0;
        List<String> types = strings(document.get(TYPES));
        if (status == SupervisorInfo.Status.GONE && document.get(ID) instanceof String workerId && !types.isEmpty()) {
            // By its types, on the claim index (type first, state in the keys): no index of its own on
            // workerId, which every claim and completion would have to write, for a read this rare.
            Bson leased = new Document(TYPE, new Document("$in", types)).append(STATE, LEASED)
                    .append(WORKER_ID, new Document("$eq", workerId).append("$exists", true));
            held = store.entries.find(leased).projection(Projections.include(Entries.ID)).limit(SupervisorInfo.MAX_HELD_SHOWN)
                    .map(entry -> Entries.idText(entry.get(Entries.ID))).into(new ArrayList<>());
            heldCount = held.size() < SupervisorInfo.MAX_HELD_SHOWN ? held.size() : store.entries.countDocuments(leased);
        }
        Document counts = document.get(COUNTS) instanceof Document d ? d : new Document();
        return new SupervisorInfo(id, text(document, NAME), text(document, HOST), text(document, VERSION),
                types, EntrySchema.intValue(document, WORKERS, 0),
                EntrySchema.intValue(document, IN_FLIGHT, 0), instant(document, STARTED_AT), lastSeen, stoppedAt,
                interval, status, new SupervisorInfo.Counts(count(counts, CLAIMED), count(counts, SUCCEEDED),
                        count(counts, RETRIED), count(counts, DEAD_LETTERED), count(counts, TIMED_OUT),
                        count(counts, LEASE_LOST), count(counts, ABANDONED), count(counts, QUEUE_WAIT_MS),
                        count(counts, QUEUE_WAIT_COUNT), count(counts, REGISTRY_ERRORS)),
                held, heldCount);
    }

    private static long count(Document counts, String field) {
        return counts.get(field) instanceof Number number ? number.longValue() : 0;
    }

    private static String text(Document document, String field) {
        return Entries.text(document.get(field));
    }

    private static List<String> strings(Object value) {
        if (!(value instanceof List<?> list)) {
            return List.of();
        }
        List<String> strings = new ArrayList<>(list.size());
        for (Object element : list) {
            if (element != null) {
                strings.add(Entries.text(element));
            }
        }
        return strings;
    }

    private static Instant instant(Document document, String field) {
        return document.get(field) instanceof Date date ? date.toInstant() : null;
    }
}
