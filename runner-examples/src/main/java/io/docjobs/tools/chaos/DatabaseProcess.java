package io.docjobs.tools.chaos;

import io.docjobs.daemon.DbCommand;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The run's database: {@code docjobs db} as its own process on a fixed port, with its data in an H2
 * file so that it can be restarted without losing the queue.
 */
final class DatabaseProcess {
    private static final Duration START_PATIENCE = Duration.ofSeconds(60);
    private static final Duration STOP_PATIENCE = Duration.ofSeconds(60);

    private final Launcher launcher;
    private final int port;
    private final Path dataFile;
    private int generation;
    private volatile ChildProcess process;

    DatabaseProcess(Launcher launcher, int port, Path dataFile) {
        this.launcher = launcher;
        this.port = port;
        this.dataFile = dataFile;
    }

    /** Starts the database and waits until it accepts connections. */
    void start() throws InterruptedException {
        generation++;
        process = launcher.start("db-" + generation, Map.of(), DbCommand.READY, "db", "--port", Integer.toString(port),
                "--data-file", dataFile.toString());
        process.awaitReady(START_PATIENCE);
    }

    /**
     * Restarts the database gracefully: SIGTERM, wait for the old process to close its store, start a
     * new one on the same file and port.
     *
     * <p>Graceful on purpose. {@code kill -9} of this embedded server can lose its last writes: the
     * H2 store commits in the background about once a second, so acknowledged writes of the last
     * moment may be in no file yet. That is a property of the embedded server, not of docjobs and
     * not of MongoDB, whose journal makes an acknowledged {@code w:majority} write survive a crash;
     * a chaos run that killed this server would report lost jobs that say nothing about docjobs.
     */
    FaultLog.Restart restart() throws InterruptedException {
        Instant down = Instant.now();
        int exitCode = process.terminate(STOP_PATIENCE);
        start();
        return new FaultLog.Restart(down, Instant.now(), exitCode);
    }

    /** Stops the database gracefully; returns its exit code (0 = closed cleanly). */
    int stop() throws InterruptedException {
        return process.terminate(STOP_PATIENCE);
    }

    /** For the final clean-up: kills the process if it still runs. */
    void destroyForcibly() {
        ChildProcess current = process;
        if (current != null) {
            current.destroyForcibly();
        }
    }

    Path dataFile() {
        return dataFile;
    }

    String connectionString() {
        return "mongodb://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    /** The current process, to check that it has not died on its own. */
    ChildProcess process() {
        return process;
    }
}
