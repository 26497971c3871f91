package io.docjobs.daemon;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.oplog.Oplog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded database (mongo-java-server) the daemon starts when the configuration chooses it
 * ({@code database.embedded: true}): in a file through its H2 backend (survives restarts), or in
 * memory. It listens on 127.0.0.1 only, so the admin commands of the same host can reach it.
 *
 * <p>It serves change streams from a {@link BoundedOplog}: the last {@value #OPLOG_MAX_ENTRIES}
 * writes (at most about {@value #OPLOG_MAX_BYTES} bytes), in memory only, so that daemons sharing
 * it wake at once on each other's enqueues, as on a replica set.
 */
final class EmbeddedDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EmbeddedDatabase.class);

    /** Most writes the oplog keeps: several seconds of the embedded server's highest write rates. */
    static final int OPLOG_MAX_ENTRIES = 10_000;
    /** Most bytes the oplog keeps, documents included. */
    static final long OPLOG_MAX_BYTES = 16L << 20;

    private final MongoServer server;
    private final MongoBackend backend;
    private final BoundedOplog oplog;
    private final String connectionString;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private EmbeddedDatabase(MongoServer server, MongoBackend backend, BoundedOplog oplog, String connectionString) {
        this.server = server;
        this.backend = backend;
        this.oplog = oplog;
        this.connectionString = connectionString;
    }

    /**
     * Starts the server on {@code 127.0.0.1:port} (0 = any free port) with data in {@code dataFile}
     * (null = in memory).
     */
    static EmbeddedDatabase start(Path dataFile, int port) {
        return start(dataFile, port, OPLOG_MAX_ENTRIES, OPLOG_MAX_BYTES);
    }

    /** {@link #start(Path, int)} with other bounds for the oplog; for tests. */
    static EmbeddedDatabase start(Path dataFile, int port, int oplogMaxEntries, long oplogMaxBytes) {
        MongoBackend backend;
        String storage;
        BoundedOplog[] created = new BoundedOplog[1]; // by enableOplog() below
        if (dataFile == null) {
            backend = new MemoryBackend() {
                @Override
                protected Oplog createOplog() {
                    return created[0] = new BoundedOplog(this, getCursorRegistry(), getClock(), oplogMaxEntries, oplogMaxBytes);
                }
            };
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
                backend = new H2Backend(dataFile.toString()) {
                    @Override
                    protected Oplog createOplog() {
                        return created[0] = new BoundedOplog(this, getCursorRegistry(), getClock(), oplogMaxEntries, oplogMaxBytes);
                    }
                };
            } catch (RuntimeException e) {
                throw new ConfigException("embedded.dataFile", java.util.List.of("embedded.dataFile " + dataFile.toAbsolutePath()
                        + " cannot be opened (" + e.getMessage() + "); is another docjobs daemon using it?"));
            }
            storage = "in file " + dataFile.toAbsolutePath() + " (survives restarts)";
        }
        MongoServer server = new MongoServer(backend);
        server.enableOplog(); // the BoundedOplog above, not the server's own oplog collection
        BoundedOplog.quietHistoryLost();
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
        log.info("embedded database (mongo-java-server) at {}, data {}, change streams from an in-memory oplog of the"
                + " last {} writes; for production set database.connectionString", uri, storage, oplogMaxEntries);
        return new EmbeddedDatabase(server, backend, created[0], uri);
    }

    String connectionString() {
        return connectionString;
    }

    /** The oplog behind its change streams. */
    BoundedOplog oplog() {
        return oplog;
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
