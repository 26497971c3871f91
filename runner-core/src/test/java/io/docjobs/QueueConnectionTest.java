package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.mongodb.ConnectionString;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.ServerVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Connecting: configuration mistakes and unreachable servers give clear, fast errors. */
class QueueConnectionTest {

    @TempDir
    Path dir;

    @Test
    void connectsWithAConnectionStringAndWorks() {
        try (EmbeddedMongo mongo = new EmbeddedMongo();
                JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(mongo.connectionString()).build())) {
            String id = queue.enqueue("email", "hi", Duration.ofSeconds(30));
            assertThat(queue.claim(Set.of("email"), "w").orElseThrow().id()).isEqualTo(id);
        }
    }

    @Test
    void malformedConnectionStringIsRejectedWithoutLeakingThePassword() {
        QueueConfig config = QueueConfig.builder().connectionString("mongodb://admin:s3cret@host:notaport").build();

        assertThatThrownBy(() -> JobQueue.connect(config))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("is not a valid MongoDB connection string")
                .hasMessageContaining("admin:****@host")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void missingConnectionStringIsNamed() {
        assertThatThrownBy(() -> JobQueue.connect(QueueConfig.builder().build()))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("connectionString was null");
    }

    @Test
    void missingCaFileIsNamedWithItsPath() {
        Path missing = dir.resolve("local.pem");
        QueueConfig config = QueueConfig.builder().connectionString("mongodb://localhost:1").caFile(missing).build();

        assertThatThrownBy(() -> JobQueue.connect(config))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(missing.toAbsolutePath().toString())
                .hasMessageContaining("does not exist");
    }

    @Test
    void caFileThatIsNotAPemCertificateIsRejected() throws IOException {
        Path notPem = Files.writeString(dir.resolve("local.pem"), "this is not a certificate\n");
        QueueConfig config = QueueConfig.builder().connectionString("mongodb://localhost:1").caFile(notPem).build();

        assertThatThrownBy(() -> JobQueue.connect(config))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining(notPem.toAbsolutePath().toString())
                .hasMessageContaining("BEGIN CERTIFICATE");
    }

    @Test
    void unreachableServerFailsWithinTheOperationTimeoutNamingTheHost() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        QueueConfig config = QueueConfig.builder().connectionString("mongodb://127.0.0.1:" + closedPort)
                .operationTimeout(Duration.ofSeconds(1)).build();

        long start = System.nanoTime();
        assertThatThrownBy(() -> JobQueue.connect(config))
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageContaining("127.0.0.1:" + closedPort)
                .hasMessageContaining("within PT1S");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void serverOlderThanMongo42IsRefusedWithTheVersionFloor() {
        MongoServer server = new MongoServer(new MemoryBackend().version(ServerVersion.MONGO_3_6));
        InetSocketAddress address = server.bind();
        try {
            QueueConfig config = QueueConfig.builder().connectionString("mongodb://127.0.0.1:" + address.getPort())
                    .operationTimeout(Duration.ofSeconds(2)).build();

            assertThatThrownBy(() -> JobQueue.connect(config))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessageContaining("too old")
                    .hasMessageContaining("MongoDB 4.2");
        } finally {
            server.shutdownNow();
        }
    }

    @Test
    void invalidConfigurationReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> QueueConfig.builder().database("a.b").collection("").operationTimeout(Duration.ZERO)
                .defaultMaxAttempts(0).retryAttempts(0).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).hasSize(5))
                .hasMessageContaining("database was \"a.b\"")
                .hasMessageContaining("collection was \"\"")
                .hasMessageContaining("operationTimeout was PT0S")
                .hasMessageContaining("defaultMaxAttempts was 0")
                .hasMessageContaining("retryAttempts was 0");
    }

    @Test
    void leaseArithmeticFollowsTheServerClockNotASkewedLocalClock() {
        Clock hourFast = Clock.offset(Clock.systemUTC(), Duration.ofHours(1));
        try (EmbeddedMongo mongo = new EmbeddedMongo();
                JobQueue queue = JobQueue.using(mongo.client(), QueueConfig.builder().clock(hourFast).build())) {
            Instant now = queue.now();

            assertThat(Duration.between(Instant.now(), now).abs())
                    .as("aligned to the server, which runs on the true clock here")
                    .isLessThan(Duration.ofSeconds(5));
            queue.enqueue("email", "x", Duration.ofSeconds(30));
            Lease lease = queue.claim(Set.of("email"), "w").orElseThrow();
            assertThat(Duration.between(Instant.now(), lease.deadline())).isBetween(Duration.ofSeconds(25), Duration.ofSeconds(35));
        }
    }

    @Test
    void closingAConnectedQueueClosesTheClientItMade() throws IOException {
        try (EmbeddedMongo mongo = new EmbeddedMongo()) {
            String server = new ConnectionString(mongo.connectionString()).getHosts().get(0);
            int colon = server.lastIndexOf(':');
            try (TcpProxy proxy = new TcpProxy(server.substring(0, colon), Integer.parseInt(server.substring(colon + 1)))) {
                JobQueue queue = JobQueue.connect(QueueConfig.builder()
                        .connectionString("mongodb://127.0.0.1:" + proxy.port()).changeStreams(false).build());
                queue.enqueue("email", "hi", Duration.ofSeconds(30));
                assertThat(proxy.openConnections()).isPositive();

                queue.close();

                await().atMost(Duration.ofSeconds(10)).until(() -> proxy.openConnections() == 0);
                assertThatThrownBy(queue::stats).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("the queue is closed");
            }
        }
    }

    @Test
    void queueOnABorrowedClientLeavesTheClientOpen() {
        try (EmbeddedMongo mongo = new EmbeddedMongo()) {
            MongoClient client = MongoClients.create(mongo.connectionString());
            JobQueue.using(client, QueueConfig.builder().build()).close();

            assertThat(client.getDatabase("docjobs").getCollection("jobs").countDocuments()).isZero();
            client.close();
        }
    }
}
