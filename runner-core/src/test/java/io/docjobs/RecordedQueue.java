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
 * A queue on a manual clock whose client records every command it sends, opened before each test
 * on the given server and closed after it: for tests that check the shape of what docjobs sends.
 * Register it after the {@link EmbeddedMongoExtension} it uses, ordered ({@code @Order}) behind it.
 */
final class RecordedQueue implements BeforeEachCallback, AfterEachCallback {
    final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    /** Every command sent, in order; tests clear it before the step they check. */
    final List<BsonDocument> commands = new CopyOnWriteArrayList<>();
    private final EmbeddedMongoExtension mongo;
    JobQueue queue;

    RecordedQueue(EmbeddedMongoExtension mongo) {
        this.mongo = mongo;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        commands.clear();
        queue = JobQueue.using(mongo.recordingClient(commands), QueueConfig.builder().clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
    }

    @Override
    public void afterEach(ExtensionContext context) {
        queue.close();
    }

    /** The commands named {@code name} ({@code find}, {@code findAndModify}, ...), in order. */
    List<BsonDocument> named(String name) {
        return commands.stream().filter(command -> command.getFirstKey().equals(name)).toList();
    }
}
