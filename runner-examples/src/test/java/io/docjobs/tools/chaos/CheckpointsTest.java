package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Long chaos jobs' checkpoints, on the embedded server: saved about once a second, never moved back. */
class CheckpointsTest {
    private static final long SECOND = 1_000_000_000L;

    private MongoServer server;
    private MongoClient client;
    private Checkpoints checkpoints;
    /** The monotonic clock the checkpoints read. */
    private long nanos;

    @BeforeEach
    void start() {
        server = new MongoServer(new MemoryBackend());
        InetSocketAddress address = server.bind();
        client = MongoClients.create("mongodb://127.0.0.1:" + address.getPort());
        checkpoints = new Checkpoints(client.getDatabase("docjobs").getCollection(Checkpoints.COLLECTION), () -> nanos);
    }

    @AfterEach
    void stop() {
        client.close();
        server.shutdownNow();
    }

    @Test
    void aJobWithoutCheckpointStartsFromZero() {
        assertThat(checkpoints.saved("job-1")).isEqualTo(Duration.ZERO);
    }

    @Test
    void progressIsSavedOnceASecondHasPassedCountingWhatTheExecutionResumedFrom() {
        Checkpoints.Saver saver = checkpoints.saver("job-1", Duration.ofMillis(4_000));

        nanos += SECOND / 2;
        saver.worked(500);
        assertThat(checkpoints.saved("job-1")).as("half a second: not yet").isEqualTo(Duration.ZERO);

        nanos += SECOND / 2;
        saver.worked(1_000);
        assertThat(checkpoints.saved("job-1")).isEqualTo(Duration.ofMillis(5_000));
    }

    @Test
    void aStaleExecutionCannotMoveTheProgressBack() {
        Checkpoints.Saver ahead = checkpoints.saver("job-1", Duration.ofMillis(6_000));
        Checkpoints.Saver stale = checkpoints.saver("job-1", Duration.ZERO);
        nanos += SECOND;

        ahead.worked(1_000);
        stale.worked(2_000);

        assertThat(checkpoints.saved("job-1")).isEqualTo(Duration.ofMillis(7_000));
    }
}
