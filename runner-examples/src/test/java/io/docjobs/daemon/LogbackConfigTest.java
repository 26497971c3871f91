package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/**
 * Each shipped logback configuration, loaded as logback loads it at start-up into a fresh context:
 * it configures without warnings, writes to stderr, keeps the documented logger levels, and puts
 * the job's id, type and attempt from the MDC on the line (text) or in the object (JSON).
 */
class LogbackConfigTest {
    private static final Path SHIPPED_TEXT = Path.of("..", "config", "logback.xml");
    private static final Path SHIPPED_JSON = Path.of("..", "config", "logback-json.xml");
    private static final Map<String, Level> LEVELS = Map.of("io.docjobs", Level.INFO, "org.mongodb.driver", Level.WARN,
            "de.bwaldvogel", Level.ERROR, Logger.ROOT_LOGGER_NAME, Level.WARN);

    /** A context configured from one file, its stderr appender writing into {@link #out}. */
    private static final class Loaded {
        final LoggerContext context = new LoggerContext();
        final LogbackMDCAdapter mdc = new LogbackMDCAdapter();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ConsoleAppender<ILoggingEvent> appender;

        Loaded(URL config) throws JoranException {
            context.setMDCAdapter(mdc);
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(config);
            assertThat(context.getStatusManager().getCopyOfStatusList())
                    .as("warnings and errors while loading %s", config)
                    .allSatisfy(status -> assertThat(status.getLevel()).as(status.toString()).isLessThan(Status.WARN));
            List<Appender<ILoggingEvent>> appenders = new ArrayList<>();
            context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().forEachRemaining(appenders::add);
            assertThat(appenders).as("appenders of the root logger in %s", config).hasSize(1);
            assertThat(appenders.get(0)).isInstanceOf(ConsoleAppender.class);
            appender = (ConsoleAppender<ILoggingEvent>) appenders.get(0);
            assertThat(appender.getTarget()).isEqualTo("System.err");
            Map<String, Level> levels = new LinkedHashMap<>();
            LEVELS.keySet().forEach(name -> levels.put(name, context.getLogger(name).getLevel()));
            assertThat(levels).as("logger levels in %s", config).isEqualTo(LEVELS);
            appender.setOutputStream(out); // instead of System.err, for this test
        }

        /** Logs one line inside a job (MDC set, as the engine does) and one outside it. */
        List<String> logInAndOutsideAJob(Throwable error) {
            Logger logger = context.getLogger("io.docjobs.examples.handlers.SendEmailHandler");
            mdc.put("jobId", "6752f1a0c3b1e24d5a0f9e11");
            mdc.put("jobType", "email.send");
            mdc.put("jobAttempt", "3");
            logger.warn("sending mail {} to {} failed", "6752f1a0c3b1e24d5a0f9e11", "a@example.com", error);
            mdc.clear();
            logger.info("supervisor {} running", "default");
            logger.debug("below the configured level: not written");
            context.stop();
            return out.toString(StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void theShippedTextConfigurationPutsJobIdTypeAndAttemptOnEachLine() throws Exception {
        Loaded text = new Loaded(SHIPPED_TEXT.toUri().toURL());
        assertThat(text.appender.getEncoder()).isInstanceOf(PatternLayoutEncoder.class);

        List<String> lines = text.logInAndOutsideAJob(null);

        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} WARN  \\[.+\\] "
                + "i\\.d\\.e\\.handlers\\.SendEmailHandler 6752f1a0c3b1e24d5a0f9e11 email\\.send 3 - "
                + "sending mail 6752f1a0c3b1e24d5a0f9e11 to a@example\\.com failed");
        assertThat(lines.get(1)).endsWith(" INFO  [" + Thread.currentThread().getName()
                + "] i.d.e.handlers.SendEmailHandler    - supervisor default running");
    }

    @Test
    void theConfigurationInTheJarHasTheSamePatternAsTheShippedOne() throws Exception {
        URL inJar = getClass().getClassLoader().getResource("logback.xml");
        assertThat(inJar).as("logback.xml in the jar's resources").isNotNull();
        assertThat(inJar.toString()).as("the main resource, not a test one").contains("/target/classes/");
        Loaded jar = new Loaded(inJar);
        Loaded shipped = new Loaded(SHIPPED_TEXT.toUri().toURL());
        assertThat(((PatternLayoutEncoder) jar.appender.getEncoder()).getPattern())
                .isEqualTo(((PatternLayoutEncoder) shipped.appender.getEncoder()).getPattern());

        List<String> lines = jar.logInAndOutsideAJob(null);

        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).contains(" 6752f1a0c3b1e24d5a0f9e11 email.send 3 - sending mail");
        shipped.context.stop();
    }

    @Test
    void theShippedJsonConfigurationWritesOneObjectPerLineWithTheMdc() throws Exception {
        Loaded json = new Loaded(SHIPPED_JSON.toUri().toURL());
        assertThat(json.appender.getEncoder()).isInstanceOf(JsonEncoder.class);

        List<String> lines = json.logInAndOutsideAJob(new IOException("connection reset"));

        assertThat(lines).hasSize(2);
        Document inJob = Document.parse(lines.get(0)); // the driver's JSON reader: strict about syntax
        assertThat(inJob.getString("level")).isEqualTo("WARN");
        assertThat(inJob.getString("loggerName")).isEqualTo("io.docjobs.examples.handlers.SendEmailHandler");
        assertThat(inJob.getString("threadName")).isEqualTo(Thread.currentThread().getName());
        assertThat(inJob.get("timestamp", Number.class).longValue()).isPositive();
        assertThat(inJob.getString("formattedMessage"))
                .isEqualTo("sending mail 6752f1a0c3b1e24d5a0f9e11 to a@example.com failed");
        assertThat(inJob.get("mdc", Document.class)).isEqualTo(new Document("jobAttempt", "3")
                .append("jobId", "6752f1a0c3b1e24d5a0f9e11").append("jobType", "email.send"));
        Document throwable = inJob.get("throwable", Document.class);
        assertThat(throwable.getString("className")).isEqualTo("java.io.IOException");
        assertThat(throwable.getString("message")).isEqualTo("connection reset");
        assertThat(inJob.keySet()).as("no template, arguments, context or counters")
                .doesNotContain("message", "arguments", "context", "sequenceNumber", "nanoseconds");

        Document outside = Document.parse(lines.get(1));
        assertThat(outside.getString("formattedMessage")).isEqualTo("supervisor default running");
        assertThat(outside.get("mdc", Document.class)).isEmpty();
        assertThat(outside.get("throwable")).isNull();
    }
}
