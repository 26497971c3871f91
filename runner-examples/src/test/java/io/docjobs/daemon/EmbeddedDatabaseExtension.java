package io.docjobs.daemon;

import io.docjobs.JobQueue;
import io.docjobs.QueueConfig;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The daemon's own embedded database (in memory, any free port) for each test, and a queue on it
 * for arranging and checking entries, both closed after the test (after the class's own
 * {@code @AfterEach}).
 *
 * <pre>{@code
 * @RegisterExtension
 * final EmbeddedDatabaseExtension database = new EmbeddedDatabaseExtension();
 * }</pre>
 */
final class EmbeddedDatabaseExtension implements BeforeEachCallback, AfterEachCallback {
    private EmbeddedDatabase database;
    private JobQueue queue;

    @Override
    public void beforeEach(ExtensionContext context) {
        database = EmbeddedDatabase.start(null, 0);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (queue != null) {
            queue.close();
            queue = null;
        }
        stop();
    }

    String connectionString() {
        return running().connectionString();
    }

    /** The port the database listens on, for {@code embedded.port}. */
    int port() {
        String uri = running().connectionString();
        return Integer.parseInt(uri.substring(uri.lastIndexOf(':') + 1));
    }

    /** A queue on the database with the default settings, opened on first use. */
    JobQueue queue() {
        if (queue == null) {
            queue = JobQueue.connect(QueueConfig.builder().connectionString(connectionString()).build());
        }
        return queue;
    }

    /** The database itself, for a daemon to run on; the daemon closes it, the extension no longer does. */
    EmbeddedDatabase handOver() {
        EmbeddedDatabase handed = running();
        database = null;
        return handed;
    }

    /** Closes the database now, for a test of what happens when nothing answers. */
    void stop() {
        if (database != null) {
            database.close();
            database = null;
        }
    }

    private EmbeddedDatabase running() {
        if (database == null) {
            throw new IllegalStateException("the embedded database was stopped");
        }
        return database;
    }
}
