package io.docjobs;

import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bson.BsonDocument;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * An embedded server per test and a queue on it, on a manual clock, whose client records every
 * command it sends: for tests that check the shape of what docjobs sends.
 */
final class RecordedQueue implements BeforeEachCallback, AfterEachCallback {
    final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    /** Every command sent, in order; tests clear it before the step they check. */
    final List<BsonDocument> commands = new CopyOnWriteArrayList<>();
    /** The server, for reading what is stored directly. */
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    JobQueue queue;

    @Override
    public void beforeEach(ExtensionContext context) {
        mongo.beforeEach(context);
        commands.clear();
        queue = JobQueue.using(mongo.recordingClient(commands), QueueConfig.builder().clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            queue.close();
        } finally {
            mongo.afterEach(context);
        }
    }

    /** The commands named {@code name} ({@code find}, {@code findAndModify}, ...), in order. */
    List<BsonDocument> named(String name) {
        return commands.stream().filter(command -> command.getFirstKey().equals(name)).toList();
    }
}
