package io.docjobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * For a test class: one embedded server, and queues on fresh collections whose database time is a
 * {@link ManualClock} (no server clock sync, no change streams). Open in {@code @BeforeAll},
 * {@link #open} per test, {@link #dropAll} after each, {@link #close} at the end.
 */
public final class ManualQueues implements AutoCloseable {
    private final EmbeddedMongo mongo = new EmbeddedMongo();
    private final List<JobQueue> open = new ArrayList<>();
    private final List<String> collections = new ArrayList<>();

    /** A queue on a collection of its own, with time from {@code clock}. */
    public JobQueue open(ManualClock clock) {
        String collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        collections.add(collection);
        JobQueue queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
        open.add(queue);
        return queue;
    }

    /** Closes the queues opened so far and drops their collections. */
    public void dropAll() {
        open.forEach(JobQueue::close);
        open.clear();
        collections.forEach(name -> mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(name).drop());
        collections.clear();
    }

    @Override
    public void close() {
        dropAll();
        mongo.close();
    }
}
