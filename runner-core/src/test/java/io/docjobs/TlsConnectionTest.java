package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS with a private CA, as Amazon DocumentDB needs: the server's certificate is signed by a CA the
 * JVM does not trust, and the queue trusts it through {@code caFile} or {@code tlsCAFile=}. The
 * certificates are made at test time with the JDK's keytool; a TLS-terminating proxy in front of an
 * in-process mongo-java-server plays the TLS server.
 */
class TlsConnectionTest {
    private static final String STOREPASS = "changeit";
    /** Short, so that the failing cases stay fast; they must fail within it. */
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(1);

    @TempDir
    static Path certs;

    /** PEM of the CA that signed the proxy's certificate. */
    private static Path rightCa;
    /** PEM of an unrelated CA that signed nothing the proxy presents. */
    private static Path wrongCa;
    /** PKCS12 key store with the proxy's key and its chain (server certificate, then the CA). */
    private static Path serverKeyStore;

    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();
    private TlsProxy proxy;

    @BeforeAll
    static void makeCertificates() throws Exception {
        Path caStore = certs.resolve("ca.p12");
        Path otherCaStore = certs.resolve("other-ca.p12");
        serverKeyStore = certs.resolve("server.p12");
        rightCa = certs.resolve("ca.pem");
        wrongCa = certs.resolve("other-ca.pem");
        Path csr = certs.resolve("server.csr");
        Path serverCert = certs.resolve("server.pem");

        // Three independent chains of keytool runs in parallel (each run is a JVM start), then the signing.
        inParallel(
                () -> {
                    keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                            "-dname", "CN=docjobs test CA", "-ext", "bc:c", "-keystore", caStore.toString());
                    keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-file", rightCa.toString());
                },
                () -> {
                    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                            "-dname", "CN=localhost", "-keystore", serverKeyStore.toString());
                    keytool("-certreq", "-alias", "server", "-keystore", serverKeyStore.toString(), "-file", csr.toString());
                },
                () -> {
                    keytool("-genkeypair", "-alias", "other", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                            "-dname", "CN=unrelated CA", "-ext", "bc:c", "-keystore", otherCaStore.toString());
                    keytool("-exportcert", "-rfc", "-alias", "other", "-keystore", otherCaStore.toString(), "-file",
                            wrongCa.toString());
                });
        keytool("-gencert", "-rfc", "-alias", "ca", "-keystore", caStore.toString(), "-validity", "2",
                "-infile", csr.toString(), "-outfile", serverCert.toString(),
                "-ext", "san=dns:localhost,ip:127.0.0.1", "-ext", "eku=serverAuth");
        // The CA first, so that keytool can verify the signed certificate as a chain reply without asking.
        keytool("-importcert", "-noprompt", "-alias", "ca", "-keystore", serverKeyStore.toString(), "-file", rightCa.toString());
        keytool("-importcert", "-noprompt", "-alias", "server", "-keystore", serverKeyStore.toString(), "-file",
                serverCert.toString());

        assertThat(Files.readString(rightCa)).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(Files.readString(wrongCa)).startsWith("-----BEGIN CERTIFICATE-----");
    }

    @BeforeEach
    void startTlsServer() throws Exception {
        int mongoPort = URI.create(mongo.connectionString()).getPort();
        proxy = new TlsProxy(serverKeyStore, mongoPort);
    }

    @AfterEach
    void stopTlsServer() {
        proxy.close();
    }

    private String tlsUri() {
        return "mongodb://localhost:" + proxy.port() + "/?tls=true";
    }

    private static String encoded(Path path) {
        return URLEncoder.encode(path.toAbsolutePath().toString(), StandardCharsets.UTF_8);
    }

    @Test
    void runsJobsEndToEndOverTlsWithTheCaFileThatSignedTheServer() {
        QueueConfig config = QueueConfig.builder().connectionString(tlsUri()).caFile(rightCa).build();

        try (JobQueue queue = JobQueue.connect(config)) {
            String id = queue.enqueue("email", "{\"to\": \"a@example.com\"}", Duration.ofSeconds(30));
            Lease lease = queue.claim(Set.of("email"), "tls-worker").orElseThrow();

            assertThat(lease.id()).isEqualTo(id);
            assertThat(queue.done(lease)).isTrue();
            assertThat(queue.get(id)).as("completed entries are deleted").isEmpty();
        }
        assertThat(proxy.establishedConnections()).as("the traffic really went through TLS").isPositive();
    }

    @Test
    void failsWithinTheOperationTimeoutWithTheTlsHintForAnUnrelatedCa() {
        QueueConfig config = QueueConfig.builder().connectionString(tlsUri()).caFile(wrongCa)
                .operationTimeout(OPERATION_TIMEOUT).build();

        assertFailsWithTlsHint(config);
    }

    @Test
    void trustsTlsCaFileInTheConnectionStringLikeCaFile() {
        QueueConfig config = QueueConfig.builder()
                .connectionString(tlsUri() + "&tlsCAFile=" + encoded(rightCa)).build();

        try (JobQueue queue = JobQueue.connect(config)) {
            String id = queue.enqueue("email", "x", Duration.ofSeconds(30));
            Lease lease = queue.claim(Set.of("email"), "tls-worker").orElseThrow();

            assertThat(lease.id()).isEqualTo(id);
            assertThat(queue.done(lease)).isTrue();
        }
        assertThat(proxy.establishedConnections()).isPositive();
    }

    @Test
    void failsWithTheTlsHintForAnUnrelatedCaAsTlsCaFileInTheConnectionString() {
        QueueConfig config = QueueConfig.builder()
                .connectionString(tlsUri() + "&tlsCAFile=" + encoded(wrongCa))
                .operationTimeout(OPERATION_TIMEOUT).build();

        assertFailsWithTlsHint(config);
    }

    @Test
    void rejectsThePrivateCaWithTheJvmsDefaultTrustWhenNoCaFileIsGiven() {
        QueueConfig config = QueueConfig.builder().connectionString(tlsUri()).operationTimeout(OPERATION_TIMEOUT).build();

        assertFailsWithTlsHint(config);
    }

    private void assertFailsWithTlsHint(QueueConfig config) {
        long start = System.nanoTime();

        assertThatThrownBy(() -> JobQueue.connect(config).close())
                .isInstanceOf(DatabaseUnavailableException.class)
                .hasMessageContaining("localhost:" + proxy.port())
                .hasMessageContaining("within " + OPERATION_TIMEOUT)
                .hasMessageContaining("The TLS handshake failed")
                .hasMessageContaining("caFile");
        // The driver gives up after the operation timeout (measured 1.0-1.4 s at a load of 10 on 2
        // cores); the slack keeps it robust and still tells it from the driver's own 30 s default.
        assertThat(Duration.ofNanos(System.nanoTime() - start))
                .as("bounded by the operation timeout, not the driver's 30 s default")
                .isLessThan(OPERATION_TIMEOUT.plusSeconds(4));
        assertThat(proxy.establishedConnections()).as("the client never trusted the server's certificate").isZero();
        // The proxy's side of an aborted handshake ends on its own thread, maybe just after the client gave up.
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(proxy.refusedConnections()).isPositive());
    }

    /** A step that may throw, for {@link #inParallel}. */
    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    /** Runs the steps on their own threads and waits for all; rethrows the first failure. */
    private static void inParallel(Step... steps) throws Exception {
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (Step step : steps) {
            running.add(CompletableFuture.runAsync(() -> {
                try {
                    step.run();
                } catch (Exception e) {
                    throw new CompletionException(e);
                }
            }, runnable -> {
                Thread thread = new Thread(runnable, "keytool-step");
                thread.setDaemon(true);
                thread.start();
            }));
        }
        try {
            CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Runs the JDK's keytool (the one of the running JVM) with the given arguments; fails on a non-zero exit. */
    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", STOREPASS));
        Path log = Files.createTempFile(certs, "keytool", ".log");
        Process process = new ProcessBuilder(command).directory(certs.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("keytool did not finish within 30 s: " + command);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("keytool failed with exit code " + process.exitValue() + ": " + command
                    + "\n" + Files.readString(log));
        }
    }

    /**
     * Terminates TLS on an ephemeral loopback port with the server key store and forwards the
     * plaintext to a local port, two daemon threads per connection. Counts the connections that were
     * established and those the client refused (a client that does not trust the certificate aborts
     * the handshake).
     */
    static final class TlsProxy implements AutoCloseable {
        private final SSLServerSocket listener;
        private final int targetPort;
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private final AtomicInteger establishedConnections = new AtomicInteger();
        private final AtomicInteger refusedConnections = new AtomicInteger();
        private final AtomicInteger connectionIds = new AtomicInteger();
        private volatile boolean closed;

        TlsProxy(Path keyStoreFile, int targetPort) throws Exception {
            this.targetPort = targetPort;
            KeyStore keyStore = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(keyStoreFile)) {
                keyStore.load(in, STOREPASS.toCharArray());
            }
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(keyStore, STOREPASS.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), null, null);
            listener = (SSLServerSocket) context.getServerSocketFactory()
                    .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
            LoopbackSockets.acceptLoop("tls-proxy-accept-" + port(), listener, () -> closed, socket -> {
                sockets.add(socket);
                LoopbackSockets.daemon("tls-proxy-" + port() + "-" + connectionIds.incrementAndGet(),
                        () -> serve((SSLSocket) socket));
            });
        }

        int port() {
            return listener.getLocalPort();
        }

        /** Connections whose client completed the handshake and sent data: it trusted the certificate. */
        int establishedConnections() {
            return establishedConnections.get();
        }

        /** Connections whose handshake failed, or that the client closed before sending anything. */
        int refusedConnections() {
            return refusedConnections.get();
        }

        /**
         * Handshakes on the connection's own thread, so a slow or failing client never blocks
         * accepting. A connection counts as established only once the client sent data over it: a
         * client sends nothing before it trusts the server's certificate, and startHandshake can
         * return without error when the client just closes the connection.
         */
        private void serve(SSLSocket client) {
            byte[] first = new byte[16 * 1024];
            int n;
            try {
                client.setSoTimeout(10_000);
                client.startHandshake();
                n = client.getInputStream().read(first);
                client.setSoTimeout(0);
            } catch (IOException e) {
                n = -1;
            }
            if (n < 0) {
                refusedConnections.incrementAndGet();
                closeQuietly(client);
                return;
            }
            establishedConnections.incrementAndGet();
            Socket upstream = new Socket();
            sockets.add(upstream);
            try {
                upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                upstream.getOutputStream().write(first, 0, n);
                upstream.getOutputStream().flush();
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
                return;
            }
            LoopbackSockets.daemon(Thread.currentThread().getName() + "-down", () -> LoopbackSockets.pump(upstream, client));
            LoopbackSockets.pump(client, upstream);
        }

        private void closeQuietly(Socket socket) {
            sockets.remove(socket);
            LoopbackSockets.closeQuietly(socket);
        }

        @Override
        public void close() {
            closed = true;
            LoopbackSockets.closeQuietly(listener);
            for (Socket socket : sockets) {
                closeQuietly(socket);
            }
        }
    }
}
