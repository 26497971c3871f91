package io.docjobs;

import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For a test class: one embedded server, and queues on fresh collections whose database time is a
 * {@link ManualClock} (no server clock sync, no change streams). Register it on a static field,
 * {@link #open} queues in a test or {@code @BeforeEach}; after each test (after the class's own
 * {@code @AfterEach}) the queues are closed and their collections dropped, after the class the
 * server stops.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final ManualQueues queues = new ManualQueues();
 * }</pre>
 */
public final class ManualQueues implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
    private final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    private final List<JobQueue> open = new ArrayList<>();
    private final List<String> collections = new ArrayList<>();

    @Override
    public void beforeAll(ExtensionContext context) {
        mongo.beforeAll(context);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        dropAll();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        dropAll();
        mongo.afterAll(context);
    }

    /** A queue on a collection of its own, with time from {@code clock}. */
    public JobQueue open(ManualClock clock) {
        String collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        collections.add(collection);
        JobQueue queue = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
        open.add(queue);
        return queue;
    }

    private void dropAll() {
        open.forEach(JobQueue::close);
        open.clear();
        collections.forEach(name -> {
            mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(name).drop();
            mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(name + "_audit").drop();
        });
        collections.clear();
    }
}
