package io.docjobs.tools.chaos;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import io.docjobs.Backoff;
import io.docjobs.HandlerOptions;
import io.docjobs.JobContext;
import io.docjobs.JobHandler;
import io.docjobs.JobHandlerProvider;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;

/**
 * The handler of the chaos run (type {@value #TYPE}): records every execution in
 * {@link Effects#COLLECTION} — job id, attempt, worker, process, start and end — and does a small
 * random amount of work in between (a few milliseconds; now and then up to 200 ms; rarely 2–3 s,
 * long enough for the lease keeper to extend the lease). What it does depends on the job's kind,
 * read from the payload ({@link JobKinds}): a long job works for its length, several visibility
 * timeouts, resuming from the progress earlier executions saved ({@link Checkpoints}), and records
 * the heartbeat extensions it saw ({@link LeaseWatch}); a retry job's first
 * attempts and every attempt of a poison job record their execution as {@link Effects#FAILED} and
 * throw.
 *
 * <p>Jobs enqueued by the run's schedules carry {@code {"schedule": id}} as payload. For them the
 * handler also records the schedule, the job's enqueue time and the time the job was enqueued for:
 * a handler is not told that time ({@link JobContext} has no such field, and a schedule's payload is
 * the same at every time), so it reads {@code scheduledAt} from the queue entry it holds the lease
 * on, by the job id, as the firing wrote it (README, "Schema, states and indexes"). The read comes
 * before the execution is recorded; if it fails (the database restarting) the attempt fails and is
 * retried like a failed record.
 *
 * <p>A probe job ({@value #LINGER_KEY} in its payload) works until cancelled on its first attempts:
 * the driver cuts off the daemon running it, so that a handler runs across a partition.
 *
 * <p>It writes to the queue's database, found like the daemon finds it: the connection string in
 * {@value #EFFECTS_CONNECTION_ENV} if set (the driver's direct line, past the faulty proxy), else
 * the environment variable {@value #CONNECTION_ENV} (or, if unset, the system property
 * {@value #CONNECTION_PROPERTY}), the database name in {@code DOCJOBS_DATABASE_NAME} (default
 * {@code docjobs}) and the queue's collection in {@code DOCJOBS_DATABASE_COLLECTION} (default
 * {@code jobs}). The chaos driver passes them to its daemons through the environment.
 *
 * <p>Not listed in {@code META-INF/services}: a normal daemon never serves chaos jobs. The chaos
 * driver names {@link Provider} in {@code handlers.chaos.job.class} and {@code handlers.chaos.long.class}
 * of the configuration it writes.
 */
public final class ChaosHandler implements JobHandler {
    /** The message type of every chaos job but the long ones. */
    public static final String TYPE = "chaos.job";
    /**
     * The message type of long chaos jobs: their own type, so that the daemons can cap how many run
     * at once ({@link ChaosSettings#longSlots}), as a deployment would for jobs that hold a
     * slot for minutes; otherwise they fill the slots a redelivered short job needs.
     */
    public static final String LONG_TYPE = "chaos.long";
    /** Where the connection string comes from: the daemon's own variable. */
    public static final String CONNECTION_ENV = "DOCJOBS_DATABASE_CONNECTION_STRING";
    /**
     * Where the executions are recorded, if not through the daemon's own connection: the chaos
     * driver points this straight at the database, so that a network fault it injects between a
     * daemon and the database cuts the daemon's queue traffic but not the run's evidence.
     */
    public static final String EFFECTS_CONNECTION_ENV = "CHAOS_EFFECTS_CONNECTION";
    /** The fallback when the variable is not set, for running the handler in a test JVM. */
    public static final String CONNECTION_PROPERTY = "docjobs.chaos.connectionString";

    /** The payload key of a probe job: how long its handler works (milliseconds) unless cancelled. */
    static final String LINGER_KEY = "lingerMs";
    /** The payload key of a probe job: up to which attempt its handler lingers. */
    static final String LINGER_ATTEMPTS_KEY = "lingerAttempts";
    /** The payload key naming the schedule of a scheduled chaos job. */
    static final String SCHEDULE_KEY = "schedule";
    /** The queue entry's field with the time a scheduled job was enqueued for (the documented schema). */
    private static final String ENTRY_SCHEDULED_AT = "scheduledAt";
    private static final Duration END_WRITE_PATIENCE = Duration.ofSeconds(30);
    private static final long PID = ProcessHandle.current().pid();

    private final MongoCollection<Document> effects;
    private final MongoCollection<Document> entries;
    private final Checkpoints checkpoints;

    /** Registers {@link ChaosHandler} for {@value #TYPE}, with quick retries. */
    public static final class Provider implements JobHandlerProvider {
        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public JobHandler handler() {
            return new ChaosHandler();
        }

        /** Quick retries: a failed effect write (database restarting) should not stall the run. */
        @Override
        public HandlerOptions options() {
            return HandlerOptions.builder()
                    .backoff(Backoff.exponential().initial(Duration.ofMillis(100)).max(Duration.ofSeconds(1))).build();
        }
    }

    /**
     * A handler writing to the database named by {@value #CONNECTION_ENV}.
     *
     * @throws IllegalStateException if neither the variable nor the property is set
     */
    public ChaosHandler() {
        String uri = System.getenv(EFFECTS_CONNECTION_ENV);
        if (uri == null || uri.isBlank()) {
            uri = System.getenv(CONNECTION_ENV);
        }
        if (uri == null || uri.isBlank()) {
            uri = System.getProperty(CONNECTION_PROPERTY);
        }
        if (uri == null || uri.isBlank()) {
            throw new IllegalStateException("the chaos handler records its executions in the queue's database: set "
                    + CONNECTION_ENV + " (or -D" + CONNECTION_PROPERTY + ") to its connection string");
        }
        String database = System.getenv().getOrDefault("DOCJOBS_DATABASE_NAME", "docjobs");
        // Short timeouts: while the database restarts, a write should fail soon and be retried,
        // not hang past the lease.
        // One client for the daemon's lifetime: handlers have no close hook, the process exit ends it.
        MongoClient client = MongoClients.create(MongoClientSettings.builder().applyConnectionString(new ConnectionString(uri))
                .applicationName("docjobs-chaos-handler")
                .applyToClusterSettings(c -> c.serverSelectionTimeout(5, TimeUnit.SECONDS))
                .applyToSocketSettings(s -> s.connectTimeout(2, TimeUnit.SECONDS).readTimeout(5, TimeUnit.SECONDS))
                .build());
        String collection = System.getenv().getOrDefault("DOCJOBS_DATABASE_COLLECTION", "jobs");
        effects = client.getDatabase(database).getCollection(Effects.COLLECTION);
        entries = client.getDatabase(database).getCollection(collection);
        checkpoints = new Checkpoints(client.getDatabase(database).getCollection(Checkpoints.COLLECTION), System::nanoTime);
    }

    @Override
    public void handle(JobContext job) throws Exception {
        ObjectId execution = new ObjectId();
        Document payload = job.payloadDocument();
        JobKinds.Job kind = JobKinds.Job.fromPayload(payload);
        Document record = new Document("_id", execution).append(Effects.JOB, job.id())
                .append(Effects.SEQ, payload.get("seq")).append(Effects.ATTEMPT, job.attempt())
                .append(Effects.WORKER, job.workerId()).append(Effects.PID, PID).append(Effects.KIND, kind.kind().label());
        Object schedule = payload.get(SCHEDULE_KEY);
        if (schedule != null) {
            record.append(Effects.SCHEDULE_ID, String.valueOf(schedule)).append(Effects.ENQUEUED_AT, Date.from(job.enqueuedAt()))
                    .append(Effects.SCHEDULED_AT, scheduledAt(job));
        }
        boolean longJob = kind.kind() == JobKinds.Kind.LONG;
        Duration resumedFrom = longJob ? checkpoints.saved(job.id()) : Duration.ZERO;
        if (longJob) {
            record.append(Effects.RESUMED_FROM_MS, resumedFrom.toMillis());
        }
        // Recorded before the work: an execution cut short by kill -9 must still be counted. The start
        // is the database's time, not this host's: the run skews the daemons' clocks, and the
        // analysis compares starts of different daemons with each other and with lease deadlines.
        long startNanos = System.nanoTime();
        Instant start = recordStart(record.append(Effects.DEADLINE_AT_START, Date.from(job.deadline())));
        if (kind.failsOn(job.attempt())) {
            recordEnd(execution, start.plusNanos(System.nanoTime() - startNanos), job, Effects.FAILED, new Document());
            throw new IllegalStateException(kind.failure(job.attempt()) + ", job " + job.id());
        }
        LeaseWatch watch = longJob ? new LeaseWatch(job.deadline(), kind.lease(), System::nanoTime) : null;
        Checkpoints.Saver progress = longJob ? checkpoints.saver(job.id(), resumedFrom) : null;
        boolean finished;
        try {
            long millis = longJob ? Math.max(0, kind.length().minus(resumedFrom).toMillis())
                    : Math.max(randomMillis(), lingerMillis(job));
            finished = work(job, millis, watch, progress);
        } catch (InterruptedException e) {
            finished = false;
        }
        // Cleared so that the driver can write the record; the outcome says the work was cut short.
        boolean interrupted = Thread.interrupted();
        Document lease = new Document();
        if (watch != null) {
            watch.observe(job.deadline());
            lease.append(Effects.EXTENSIONS, watch.extensions()).append(Effects.LEASE_LOST, job.isLeaseLost())
                    .append(Effects.SINCE_LAST_EXTENSION_MS, watch.sinceLastExtension().toMillis());
            if (watch.minSlack() != null) {
                lease.append(Effects.MIN_SLACK_MS, watch.minSlack().toMillis());
            }
        }
        Instant end = start.plusNanos(System.nanoTime() - startNanos);
        recordEnd(execution, end, job, finished && !interrupted ? Effects.DONE : Effects.CANCELLED, lease);
        if (!finished || interrupted) {
            throw new InterruptedException("chaos job " + job.id() + " was cancelled (lease lost or shutdown)");
        }
    }

    /** Inserts the execution's record with the database's time as its start, and returns that time. */
    private Instant recordStart(Document record) {
        Document fields = new Document(record);
        Object id = fields.remove("_id");
        Document inserted = effects.findOneAndUpdate(Filters.eq("_id", id),
                Updates.combine(Updates.setOnInsert(fields), Updates.currentDate(Effects.START)),
                new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER)
                        .projection(Projections.include(Effects.START)));
        if (inserted == null) {
            throw new IllegalStateException("the start record of execution " + id + " was not written back by the upsert");
        }
        return inserted.getDate(Effects.START).toInstant();
    }

    /**
     * The time the job was enqueued for, from its queue entry; null if the entry is gone (this
     * worker's lease moved on and another attempt completed the job).
     */
    private Date scheduledAt(JobContext job) {
        Document entry = entries.find(Filters.eq("_id", new ObjectId(job.id())))
                .projection(Projections.include(ENTRY_SCHEDULED_AT)).first();
        return entry == null ? null : entry.getDate(ENTRY_SCHEDULED_AT);
    }

    /** A short job's work: a few milliseconds; now and then up to 200 ms; rarely 2–3 s. */
    private static long randomMillis() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int dice = random.nextInt(1000);
        return dice < 2 ? random.nextLong(2000, 3000) : dice < 30 ? random.nextLong(20, 200) : random.nextLong(1, 6);
    }

    /**
     * Sleeps {@code millis} in short slices, stopping early if cancelled; for a long job (non-null
     * {@code watch} and {@code progress}) shows the watch the lease deadline and saves the progress
     * at every slice. Returns whether it finished.
     */
    private static boolean work(JobContext job, long millis, LeaseWatch watch, Checkpoints.Saver progress)
            throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = millis; left > 0; left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())) {
            if (watch != null) {
                watch.observe(job.deadline());
                progress.worked(millis - left);
            }
            if (job.isCancelled()) {
                return false;
            }
            Thread.sleep(Math.min(left, 50));
        }
        return !job.isCancelled();
    }

    /**
     * How long a probe job works on this attempt: the driver enqueues one with {@value #LINGER_KEY}
     * (milliseconds) and {@value #LINGER_ATTEMPTS_KEY} to have a handler running on the daemon it
     * cuts off, across the partition, for as long as the handler is not cancelled; later attempts
     * run as short as any job. 0 for the other jobs.
     */
    private static long lingerMillis(JobContext job) {
        Document payload = job.payloadDocument();
        return payload.get(LINGER_KEY) instanceof Number linger && payload.get(LINGER_ATTEMPTS_KEY) instanceof Number attempts
                && job.attempt() <= attempts.intValue() ? linger.longValue() : 0;
    }

    /**
     * Writes the end of the execution, retrying while the database is away (a restart): the job is
     * completed only if its execution is fully recorded, so the run's analysis can count it.
     * {@code extra} holds further fields to set (a long job's lease figures).
     */
    private void recordEnd(ObjectId execution, Instant endedAt, JobContext job, String outcome, Document extra)
            throws InterruptedException {
        long giveUp = System.nanoTime() + END_WRITE_PATIENCE.toNanos();
        Date end = Date.from(endedAt);
        while (true) {
            try {
                List<Bson> sets = new ArrayList<>(List.of(Updates.set(Effects.END, end),
                        Updates.set(Effects.DEADLINE_AT_END, Date.from(job.deadline())), Updates.set(Effects.OUTCOME, outcome)));
                extra.forEach((field, value) -> sets.add(Updates.set(field, value)));
                effects.updateOne(Filters.eq("_id", execution), Updates.combine(sets));
                return;
            } catch (MongoException e) {
                if (System.nanoTime() > giveUp || job.isLeaseLost()) {
                    throw e;
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
    }
}
