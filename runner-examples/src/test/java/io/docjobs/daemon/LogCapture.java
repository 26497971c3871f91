package io.docjobs.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Collects every log event while open, with io.docjobs at INFO (admin commands run earlier in this
 * JVM may have quieted it); closing restores the level and detaches the collector.
 */
final class LogCapture implements AutoCloseable {
    private final LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Level previousLevel;

    LogCapture() {
        Logger docjobs = context.getLogger("io.docjobs");
        previousLevel = docjobs.getLevel();
        docjobs.setLevel(Level.INFO);
        appender.setContext(context);
        appender.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(appender);
    }

    List<ILoggingEvent> events() {
        return appender.list;
    }

    @Override
    public void close() {
        context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(appender);
        appender.stop();
        context.getLogger("io.docjobs").setLevel(previousLevel);
    }
}
