package io.docjobs.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.LoggerFactory;

/** Log levels set by commands at run time. */
public final class LogLevels {
    private LogLevels() {
    }

    /**
     * Sets the named loggers to WARN, when logback is the binding: commands that print their own
     * results or progress (admin commands, demo, bench, chaos) would drown in per-job INFO lines.
     */
    public static void quiet(String... loggers) {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            for (String logger : loggers) {
                context.getLogger(logger).setLevel(Level.WARN);
            }
        }
    }
}
