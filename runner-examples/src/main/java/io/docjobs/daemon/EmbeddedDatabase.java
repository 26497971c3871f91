package io.docjobs.daemon;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded database (mongo-java-server) the daemon starts when the configuration chooses it
 * ({@code database.embedded: true}): in a file through its H2 backend (survives restarts), or in
 * memory. It listens on 127.0.0.1 only, so the admin commands of the same host can reach it.
 */
final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    private final MongoServer server;
    private final MongoBackend backend;
    private final String connectionString;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private EmbeddedDatabase(MongoServer server, MongoBackend backend, String connectionString) {
        this.server = server;
        this.backend = backend;
        this.connectionString = connectionString;
    }

    /**
     * Starts the server on {@code 127.0.0.1:port} (0 = any free port) with data in {@code dataFile}
     * (null = in memory).
     */
    static EmbeddedDatabase start(Path dataFile, int port) {
        MongoBackend backend;
        String storage;
        if (dataFile == null) {
            backend = new MemoryBackend();
            storage = "in memory (lost when the process ends)";
        } else {
            try {
                Path parent = dataFile.toAbsolutePath().getParent();
                if (parent != null) {
                    Files.createDirectories(parent);
                }
            } catch (IOException e) {
                throw new ConfigException("embedded.dataFile", java.util.List.of("embedded.dataFile " + dataFile.toAbsolutePath()
                        + ": its directory cannot be created (" + e.getMessage() + ")"));
            }
            try {
                backend = new H2Backend(dataFile.toString());
            } catch (RuntimeException e) {
                throw new ConfigException("embedded.dataFile", java.util.List.of("embedded.dataFile " + dataFile.toAbsolutePath()
                        + " cannot be opened (" + e.getMessage() + "); is another docjobs daemon using it?"));
            }
            storage = "in file " + dataFile.toAbsolutePath() + " (survives restarts)";
        }
        MongoServer server = new MongoServer(backend);
        try {
            server.bind("127.0.0.1", port);
        } catch (Exception e) { // Netty rethrows the checked BindException undeclared
            server.shutdownNow();
            backend.close();
            throw new ConfigException("embedded.port", java.util.List.of("embedded.port " + port + " on 127.0.0.1 cannot be"
                    + " used (" + e + "); is another docjobs daemon running? Set embedded.port or"
                    + " DOCJOBS_EMBEDDED_PORT to a free port"));
        }
        String uri = "mongodb://127.0.0.1:" + server.getLocalAddress().getPort();
        log.info("embedded database (mongo-java-server) at {}, data {}; for production set database.connectionString",
                uri, storage);
        return new EmbeddedDatabase(server, backend, uri);
    }

    String connectionString() {
        return connectionString;
    }

    /** Stops the server and closes the store; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            server.shutdownNow();
            backend.close();
        }
    }
}
