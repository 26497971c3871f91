package io.docjobs.tools.chaos;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import io.docjobs.Backoff;
import io.docjobs.HandlerOptions;
import io.docjobs.JobContext;
import io.docjobs.JobHandler;
import io.docjobs.JobHandlerProvider;
import java.time.Duration;
import java.util.Date;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * The handler of the chaos run (type {@value #TYPE}): records every execution in
 * {@link Effects#COLLECTION} — job id, attempt, worker, process, start and end — and does a small
 * random amount of work in between (a few milliseconds; now and then up to 200 ms; rarely 2–3 s,
 * long enough for the lease keeper to extend the lease).
 *
 * <p>It writes to the queue's database, found like the daemon finds it: the connection string in
 * the environment variable {@value #CONNECTION_ENV} (or, if unset, the system property
 * {@value #CONNECTION_PROPERTY}) and the database name in {@code DOCJOBS_DATABASE_NAME} (default
 * {@code docjobs}). The chaos driver passes both to its daemons through the environment.
 *
 * <p>Not listed in {@code META-INF/services}: a normal daemon never serves chaos jobs. The chaos
 * driver names {@link Provider} in {@code handlers.chaos.job.class} of the configuration it writes.
 */
public final class ChaosHandler implements JobHandler {
    /** The message type. */
    public static final String TYPE = "chaos.job";
    /** Where the connection string comes from: the daemon's own variable. */
    public static final String CONNECTION_ENV = "DOCJOBS_DATABASE_CONNECTION_STRING";
    /** The fallback when the variable is not set, for running the handler in a test JVM. */
    public static final String CONNECTION_PROPERTY = "docjobs.chaos.connectionString";

    private static final Duration END_WRITE_PATIENCE = Duration.ofSeconds(30);
    private static final long PID = ProcessHandle.current().pid();

    private final MongoCollection<Document> effects;

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
        String uri = System.getenv(CONNECTION_ENV);
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
        effects = client.getDatabase(database).getCollection(Effects.COLLECTION);
    }

    @Override
    public void handle(JobContext job) throws Exception {
        ObjectId execution = new ObjectId();
        // Recorded before the work: an execution cut short by kill -9 must still be counted.
        effects.insertOne(new Document("_id", execution).append(Effects.JOB, job.id())
                .append(Effects.SEQ, job.payloadDocument().get("seq")).append(Effects.ATTEMPT, job.attempt())
                .append(Effects.WORKER, job.workerId()).append(Effects.PID, PID)
                .append(Effects.START, new Date()).append(Effects.DEADLINE_AT_START, Date.from(job.deadline())));
        boolean finished;
        try {
            finished = work(job);
        } catch (InterruptedException e) {
            finished = false;
        }
        // Cleared so that the driver can write the record; the outcome says the work was cut short.
        boolean interrupted = Thread.interrupted();
        recordEnd(execution, job, finished && !interrupted ? Effects.DONE : Effects.CANCELLED);
        if (!finished || interrupted) {
            throw new InterruptedException("chaos job " + job.id() + " was cancelled (lease lost or shutdown)");
        }
    }

    /** Sleeps a random while in short slices, stopping early if cancelled; returns whether it finished. */
    private static boolean work(JobContext job) throws InterruptedException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int dice = random.nextInt(1000);
        long millis = dice < 2 ? random.nextLong(2000, 3000) : dice < 30 ? random.nextLong(20, 200) : random.nextLong(1, 6);
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (long left = millis; left > 0; left = TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime())) {
            if (job.isCancelled()) {
                return false;
            }
            Thread.sleep(Math.min(left, 50));
        }
        return !job.isCancelled();
    }

    /**
     * Writes the end of the execution, retrying while the database is away (a restart): the job is
     * completed only if its execution is fully recorded, so the run's analysis can count it.
     */
    private void recordEnd(ObjectId execution, JobContext job, String outcome) throws InterruptedException {
        long giveUp = System.nanoTime() + END_WRITE_PATIENCE.toNanos();
        Date end = new Date();
        while (true) {
            try {
                effects.updateOne(Filters.eq("_id", execution), Updates.combine(Updates.set(Effects.END, end),
                        Updates.set(Effects.DEADLINE_AT_END, Date.from(job.deadline())), Updates.set(Effects.OUTCOME, outcome)));
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
