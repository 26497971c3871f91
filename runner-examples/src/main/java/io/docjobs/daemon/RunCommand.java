package io.docjobs.daemon;

import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/** {@code docjobs run}: the daemon. Runs until SIGTERM or SIGINT, then drains and exits 0. */
@Command(name = "run", description = "Run the daemon: claim and run jobs, serve /metrics and /health.")
public final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Mixin
    ConfigOption configOption;

    @Override
    public Integer call() throws InterruptedException {
        DaemonConfig config = configOption.load();
        log.info("configuration from {}: {}", config.source(), ConfigPrinter.describe(config));
        Map<String, HandlerLoader.Loaded> handlers = HandlerLoader.load(config, RunCommand.class.getClassLoader());
        Daemon daemon = Daemon.start(config, handlers, null);
        CountDownLatch stop = new CountDownLatch(1);
        // Handle the signals ourselves rather than in a shutdown hook, so that the drain runs on
        // this thread and the process can exit 0 after a clean SIGTERM.
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> {
                log.info("SIG{} received: no new claims, draining running jobs", signal.getName());
                stop.countDown();
            });
        }
        // Any other way out of the JVM still drains.
        Runtime.getRuntime().addShutdownHook(new Thread(daemon::close, "docjobs-shutdown"));
        log.info("docjobs daemon running; stop with SIGTERM (systemctl stop) or Ctrl-C");
        stop.await();
        daemon.close();
        log.info("docjobs daemon stopped");
        return 0;
    }
}
