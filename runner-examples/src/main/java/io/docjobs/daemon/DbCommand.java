package io.docjobs.daemon;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code docjobs db}: the embedded database (mongo-java-server) on its own, on {@code 127.0.0.1},
 * until SIGTERM or SIGINT. With {@code --data-file} it keeps its data in that file (H2 backend) and
 * a later {@code db} on the same file finds it again; without, it keeps it in memory. It serves
 * change streams like the daemon's embedded database (see {@link EmbeddedDatabase}), so daemons
 * connected to it start each other's jobs at once.
 *
 * <p>When it is ready it prints one line on standard output, {@code docjobs db: ready at
 * mongodb://127.0.0.1:PORT ...}, so that scripts and the {@code chaos} driver can wait for it. On a
 * signal it closes the server and the store, which commits H2's last writes, and exits 0.
 */
@Command(name = "db", description = "Run the embedded database (for trying docjobs out and for the chaos run) until"
        + " SIGTERM or Ctrl-C.")
public final class DbCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(DbCommand.class);

    /** The start of the line printed when the database accepts connections. */
    public static final String READY = "docjobs db: ready at ";

    @Option(names = "--port", defaultValue = "27117",
            description = "port on 127.0.0.1; 0 = any free port (default: ${DEFAULT-VALUE}, the default embedded.port,"
                    + " where the admin commands look)")
    int port;

    @Option(names = "--data-file", paramLabel = "FILE",
            description = "H2 data file (created if missing; survives restarts); default: in memory")
    Path dataFile;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port was " + port + " but must be between 0 and 65535");
        }
        CountDownLatch stop = new CountDownLatch(1);
        // Our own handlers instead of the JVM's: the store is closed on this thread, before exit 0.
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                log.info("SIG{} received: closing the database", signal.getName());
                stop.countDown();
            });
        }
        PrintWriter out = spec.commandLine().getOut();
        try (EmbeddedDatabase database = EmbeddedDatabase.start(dataFile, port)) {
            out.println(READY + database.connectionString() + (dataFile == null ? " (in memory)"
                    : " (data in " + dataFile.toAbsolutePath() + ")") + "; stop with SIGTERM or Ctrl-C");
            out.flush();
            stop.await();
        }
        log.info("database closed");
        return 0;
    }
}
