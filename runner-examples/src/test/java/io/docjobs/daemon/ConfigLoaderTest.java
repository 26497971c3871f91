package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import io.docjobs.Backoff;
import io.docjobs.HandlerOptions;
import io.docjobs.JobRequest;
import io.docjobs.QueueConfig;
import io.docjobs.SupervisorConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Configuration: defaults, the shipped file, environment overrides, and errors that name file, key, value and rule. */
class ConfigLoaderTest {
    /** The database choice every configuration needs, for the tests about other keys. */
    private static final String EMBEDDED = "database:\n  embedded: true\n";

    @TempDir
    Path dir;

    private DaemonConfig load(String yaml, Map<String, String> env) throws IOException {
        Path file = Files.writeString(dir.resolve("docjobs.yaml"), yaml);
        return new ConfigLoader(env).load(file, true);
    }

    private static Stream<ConfigLoader.Key> durationKeys() {
        return ConfigLoader.KEYS.stream().filter(key -> key.maxDuration() != null);
    }

    @Test
    void missingOptionalFileMeansDefaults() {
        DaemonConfig config = new ConfigLoader(Map.of("DOCJOBS_DATABASE_EMBEDDED", "true"))
                .load(dir.resolve("absent.yaml"), false);

        assertThat(config.database().embedded()).isTrue();
        assertThat(config.supervisor().workers()).isEqualTo(8);
        assertThat(config.database().operationTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.http().host()).isEqualTo("127.0.0.1");
        assertThat(config.embedded().dataFile()).isEqualTo(Path.of("data/docjobs.h2"));
    }

    @Test
    void missingFileThatWasAskedForIsAnError() {
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(dir.resolve("absent.yaml"), true))
                .isInstanceOf(ConfigException.class).hasMessageContaining("absent.yaml").hasMessageContaining("does not exist");
    }

    @Test
    void theShippedConfigurationLoadsWithAConnectionStringAndDocumentsEveryKey() throws IOException {
        Path shipped = Path.of("..", "config", "docjobs.yaml");
        DaemonConfig config = new ConfigLoader(Map.of("DOCJOBS_DATABASE_CONNECTION_STRING", "mongodb://db:27017"))
                .load(shipped, true);

        assertThat(config.database().embedded()).isFalse();
        assertThat(config.handlers()).as("the production configuration names no example handler").isEmpty();
        String text = Files.readString(shipped);
        for (ConfigLoader.Key key : ConfigLoader.KEYS) {
            String leaf = key.path().substring(key.path().lastIndexOf('.') + 1);
            assertThat(text).as("config/docjobs.yaml documents " + key.path()).contains(leaf + ":");
        }
    }

    @Test
    void theShippedConfigurationWithoutAConnectionStringDoesNotStartNamingBothFixes() {
        Path shipped = Path.of("..", "config", "docjobs.yaml");

        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(shipped, true))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .contains("no database chosen")
                        .contains("database.connectionString").contains("DOCJOBS_DATABASE_CONNECTION_STRING")
                        .contains("database.embedded: true").contains("DOCJOBS_DATABASE_EMBEDDED=true"));
    }

    @Test
    void aConnectionStringAndTheEmbeddedDatabaseContradictEachOther() {
        assertThatThrownBy(() -> load(EMBEDDED, Map.of("DOCJOBS_DATABASE_CONNECTION_STRING", "mongodb://u:s3cret@db:27017")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).singleElement().asString()
                        .contains("database.embedded is true (" + dir.resolve("docjobs.yaml") + ": database.embedded)")
                        .contains("a connection string is set (environment variable DOCJOBS_DATABASE_CONNECTION_STRING)")
                        .contains("choose one")
                        .doesNotContain("s3cret"));
    }

    @Test
    void theTrialConfigurationChoosesTheEmbeddedDatabaseAndServesOnlyExampleTypes() {
        Path trial = Path.of("..", "config", "docjobs-trial.yaml");
        DaemonConfig config = new ConfigLoader(Map.of()).load(trial, true);

        assertThat(config.database().embedded()).isTrue();
        assertThat(HandlerLoader.load(config, getClass().getClassLoader()))
                .containsOnlyKeys("example.email.send", "example.report.render", "example.payment.charge");
    }

    @Test
    void environmentOverridesTheFile() throws IOException {
        DaemonConfig config = load("supervisor:\n  workers: 4\n", Map.of(
                "DOCJOBS_SUPERVISOR_WORKERS", "12",
                "DOCJOBS_DATABASE_CONNECTION_STRING", "mongodb://db.example.com:27017",
                "DOCJOBS_HTTP_PORT", "9999"));

        assertThat(config.supervisor().workers()).isEqualTo(12);
        assertThat(config.database().connectionString()).isEqualTo("mongodb://db.example.com:27017");
        assertThat(config.database().embedded()).isFalse();
        assertThat(config.http().port()).isEqualTo(9999);
    }

    @Test
    void everyProblemIsReportedWithFileKeyValueAndRule() throws IOException {
        assertThatThrownBy(() -> load(EMBEDDED + """
                supervisor:
                  wrokers: 4
                  pollers: many
                  drainTimeout: soon
                http:
                  port: 70000
                handlers:
                  email.send:
                    klass: x
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(5))
                .hasMessageContaining("docjobs.yaml: unknown key \"supervisor.wrokers\" (known keys here:")
                .hasMessageContaining("supervisor.workers")
                .hasMessageContaining("supervisor.pollers was \"many\" but must be a whole number between 1 and 64")
                .hasMessageContaining("supervisor.drainTimeout was \"soon\" but must be a duration such as 500ms")
                .hasMessageContaining("http.port was 70000 but must be between 0 and 65535")
                .hasMessageContaining("handlers.email.send: unknown key \"klass\"");
    }

    @Test
    void aRuleSpanningKeysComesFromTheLibraryUnderTheFileKeysWithTheOtherProblems() {
        assertThatThrownBy(() -> load("""
                database:
                  embedded: true
                  name: a.b
                supervisor:
                  idleBackoffMin: 2s
                  idleBackoffMax: 1s
                http:
                  port: 70000
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .isInstanceOf(io.docjobs.ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactlyInAnyOrder(
                        dir.resolve("docjobs.yaml") + ": http.port was 70000 but must be between 0 and 65535",
                        dir.resolve("docjobs.yaml") + ": database.name was \"a.b\" but must be a non-blank name of at most"
                                + " 63 characters without / \\ . space \" or $",
                        dir.resolve("docjobs.yaml") + ": supervisor.idleBackoffMax was PT1S but must be at least the min"
                                + " (PT2S)"))
                .hasMessageStartingWith("invalid configuration in " + dir.resolve("docjobs.yaml") + ":\n  - ");
    }

    @Test
    void unsetKeysTakeTheLibrarysDefaults() throws IOException {
        DaemonConfig config = load(EMBEDDED, Map.of());

        assertThat(config.supervisor()).isEqualTo(new DaemonConfig.SupervisorSettings(SupervisorConfig.DEFAULT_NAME,
                SupervisorConfig.DEFAULT_WORKERS, SupervisorConfig.DEFAULT_POLLERS, SupervisorConfig.DEFAULT_MAX_BATCH,
                SupervisorConfig.DEFAULT_PREFETCH, SupervisorConfig.DEFAULT_IDLE_MIN, SupervisorConfig.DEFAULT_IDLE_MAX,
                SupervisorConfig.DEFAULT_DRAIN_TIMEOUT, SupervisorConfig.DEFAULT_DEPTH_REFRESH,
                SupervisorConfig.DEFAULT_REGISTRY_INTERVAL));
        assertThat(config.database().name()).isEqualTo(QueueConfig.DEFAULT_DATABASE);
        assertThat(config.database().collection()).isEqualTo(QueueConfig.DEFAULT_COLLECTION);
        assertThat(config.queue().defaultMaxAttempts()).isEqualTo(QueueConfig.DEFAULT_MAX_ATTEMPTS);
        assertThat(config.queue().defaultVisibilityTimeout()).isEqualTo(QueueConfig.DEFAULT_VISIBILITY_TIMEOUT);
    }

    @Test
    void aHandlerBackoffMaxBelowItsInitialIsReportedUnderTheHandlersKey() throws IOException {
        DaemonConfig config = load(EMBEDDED + """
                discoverHandlers: false
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                    backoffInitial: 1m
                    backoffMax: 1s
                """, Map.of());

        assertThatThrownBy(() -> HandlerLoader.load(config, getClass().getClassLoader()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("handlers.report.render: backoff max was PT1S but must be at least backoff"
                        + " initial (PT1M)");
    }

    @Test
    void aHandlerBackoffKeySetAloneKeepsTheLibraryDefaultForTheOther() throws IOException {
        DaemonConfig config = load(EMBEDDED + """
                discoverHandlers: false
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                    backoffMax: 2s
                """, Map.of());

        Backoff backoff = HandlerLoader.load(config, getClass().getClassLoader()).get("report.render").options().backoff();

        assertThat(backoff.delay(1)).as("from the default 1 s, ±50 per cent")
                .isBetween(Duration.ofMillis(500), Duration.ofMillis(1500));
        assertThat(backoff.delay(20)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aHugeHandlerTimeoutIsAConfigurationErrorNamingTheKey() {
        assertThatThrownBy(() -> load("""
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                    timeout: 200000d
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("docjobs.yaml: handlers.report.render.timeout was \"200000d\" but must be at most 7d");
    }

    @ParameterizedTest
    @ValueSource(strings = {"99999999999999999999d", "999999999999999d", "9223372036854775807ms", "PT9999999999999999H",
            "P106751991167301D"})
    void aDurationTooLargeToParseIsReportedAsTooLong(String huge) {
        assertThatThrownBy(() -> load(EMBEDDED + "supervisor:\n  drainTimeout: " + huge + "\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        dir.resolve("docjobs.yaml") + ": supervisor.drainTimeout was \"" + huge + "\" but must be at most 1h"));
    }

    @Test
    void everyDurationKeyAcceptsItsMaximum() {
        Map<String, String> env = new HashMap<>(Map.of("DOCJOBS_DATABASE_EMBEDDED", "true"));
        durationKeys().forEach(key -> env.put(key.envName(), ConfigLoader.format(key.maxDuration())));

        DaemonConfig config = new ConfigLoader(env).load(dir.resolve("absent.yaml"), false);

        assertThat(config.database().operationTimeout()).isEqualTo(QueueConfig.MAX_OPERATION_TIMEOUT);
        assertThat(config.queue().defaultVisibilityTimeout()).isEqualTo(JobRequest.MAX_VISIBILITY_TIMEOUT);
        assertThat(config.supervisor().idleBackoffMin()).isEqualTo(SupervisorConfig.MAX_IDLE_BACKOFF);
        assertThat(config.supervisor().idleBackoffMax()).isEqualTo(SupervisorConfig.MAX_IDLE_BACKOFF);
        assertThat(config.supervisor().drainTimeout()).isEqualTo(SupervisorConfig.MAX_DRAIN_TIMEOUT);
        assertThat(config.supervisor().depthRefresh()).isEqualTo(SupervisorConfig.MAX_DEPTH_REFRESH);
        assertThat(config.supervisor().registryInterval()).isEqualTo(SupervisorConfig.MAX_REGISTRY_INTERVAL);
    }

    @Test
    void everyDurationKeyAboveItsMaximumIsReportedAtOnceNamingTheVariable() {
        Map<String, String> env = new HashMap<>(Map.of("DOCJOBS_DATABASE_EMBEDDED", "true"));
        durationKeys().forEach(key -> env.put(key.envName(), key.maxDuration().toMillis() + 1 + "ms"));

        assertThatThrownBy(() -> new ConfigLoader(env).load(dir.resolve("absent.yaml"), false))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(7))
                .hasMessageContaining("environment variable DOCJOBS_DATABASE_OPERATION_TIMEOUT was \"600001ms\" but must be at most 10m")
                .hasMessageContaining("environment variable DOCJOBS_QUEUE_DEFAULT_VISIBILITY_TIMEOUT was \"43200001ms\" but must be at most 12h")
                .hasMessageContaining("environment variable DOCJOBS_SUPERVISOR_IDLE_BACKOFF_MIN was \"600001ms\" but must be at most 10m")
                .hasMessageContaining("environment variable DOCJOBS_SUPERVISOR_IDLE_BACKOFF_MAX was \"600001ms\" but must be at most 10m")
                .hasMessageContaining("environment variable DOCJOBS_SUPERVISOR_DRAIN_TIMEOUT was \"3600001ms\" but must be at most 1h")
                .hasMessageContaining("environment variable DOCJOBS_SUPERVISOR_DEPTH_REFRESH was \"3600001ms\" but must be at most 1h")
                .hasMessageContaining("environment variable DOCJOBS_SUPERVISOR_REGISTRY_INTERVAL was \"600001ms\" but must be at most 10m");
    }

    @Test
    void aRegistryIntervalBelowTheLibrarysMinimumIsReportedUnderItsKey() {
        assertThatThrownBy(() -> load(EMBEDDED + "supervisor:\n  registryInterval: 50ms\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        dir.resolve("docjobs.yaml") + ": supervisor.registryInterval was PT0.05S but must be zero (off) or at"
                                + " least PT0.1S"));
    }

    @Test
    void handlerDurationsAreAcceptedUpToTheirMaximumAndReachTheOptions() throws IOException {
        DaemonConfig config = load(EMBEDDED + """
                discoverHandlers: false
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                    timeout: 7d
                    leaseExtension: 12h
                    backoffInitial: 1d
                    backoffMax: 1d
                """, Map.of());

        HandlerOptions options = HandlerLoader.load(config, getClass().getClassLoader()).get("report.render").options();

        assertThat(options.timeout()).isEqualTo(HandlerOptions.MAX_TIMEOUT);
        assertThat(options.leaseExtension()).isEqualTo(JobRequest.MAX_VISIBILITY_TIMEOUT);
        assertThat(options.backoff().delay(1)).isLessThanOrEqualTo(Backoff.MAX_DELAY);
    }

    @Test
    void handlerDurationsAboveTheirMaximumAreReportedAtOnce() {
        assertThatThrownBy(() -> load(EMBEDDED + """
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                    timeout: 169h
                    leaseExtension: 13h
                    backoffInitial: 25h
                    backoffMax: PT2562047788015215H30M7S
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).hasSize(4))
                .hasMessageContaining("handlers.report.render.timeout was \"169h\" but must be at most 7d")
                .hasMessageContaining("handlers.report.render.leaseExtension was \"13h\" but must be at most 12h")
                .hasMessageContaining("handlers.report.render.backoffInitial was \"25h\" but must be at most 1d")
                .hasMessageContaining("handlers.report.render.backoffMax was \"PT2562047788015215H30M7S\" but must be at most 1d");
    }

    @Test
    void environmentErrorsNameTheVariable() {
        assertThatThrownBy(() -> load("", Map.of("DOCJOBS_SUPERVISOR_WORKERS", "-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variable DOCJOBS_SUPERVISOR_WORKERS was -1 but must be between 1 and 10000");
    }

    @Test
    void aMistypedVariableIsAnErrorNamingItAndTheClosestKnownOne() {
        assertThatThrownBy(() -> load(EMBEDDED, Map.of("DOCJOBS_SUPERVISOR_WROKERS", "4", "DOCJOBS_HTTPPORT", "9000",
                "PATH", "/usr/bin", "DOCJOBSX", "not ours")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "environment variable DOCJOBS_HTTPPORT is not a docjobs setting (did you mean DOCJOBS_HTTP_PORT?);"
                                + " correct or unset it. The variables are DOCJOBS_ + a key of config/docjobs.yaml in"
                                + " upper snake case (DOCJOBS_HANDLERS_<TYPE>_<OPTION> for per-type options), or that"
                                + " + _FILE naming a file holding the value",
                        "environment variable DOCJOBS_SUPERVISOR_WROKERS is not a docjobs setting (did you mean"
                                + " DOCJOBS_SUPERVISOR_WORKERS?); correct or unset it. The variables are DOCJOBS_ + a key"
                                + " of config/docjobs.yaml in upper snake case (DOCJOBS_HANDLERS_<TYPE>_<OPTION> for"
                                + " per-type options), or that + _FILE naming a file holding the value"));
    }

    @Test
    void aMistypedFileVariableIsNamedWithTheClosestFileVariable() {
        assertThatThrownBy(() -> load(EMBEDDED, Map.of("DOCJOBS_DATABASE_CONNECTION_STRNG_FILE", "/run/secrets/db")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variable DOCJOBS_DATABASE_CONNECTION_STRNG_FILE is not a docjobs"
                        + " setting (did you mean DOCJOBS_DATABASE_CONNECTION_STRING_FILE?)");
    }

    @Test
    void aFileVariableSetsItsKeyFromTheFileWithoutOneTrailingNewline() throws IOException {
        Path secret = Files.writeString(dir.resolve("connection-string"), "mongodb://app:s3cret@db.example.com:27017\n");
        Path workers = Files.writeString(dir.resolve("workers"), "12\r\n");

        DaemonConfig config = load("", Map.of("DOCJOBS_DATABASE_CONNECTION_STRING_FILE", secret.toString(),
                "DOCJOBS_SUPERVISOR_WORKERS_FILE", workers.toString()));

        assertThat(config.database().connectionString()).isEqualTo("mongodb://app:s3cret@db.example.com:27017");
        assertThat(config.supervisor().workers()).isEqualTo(12);
    }

    @Test
    void aFileVariableAndItsVariableBothSetIsAnError() throws IOException {
        Path secret = Files.writeString(dir.resolve("connection-string"), "mongodb://db:27017");

        assertThatThrownBy(() -> load("", Map.of("DOCJOBS_DATABASE_CONNECTION_STRING_FILE", secret.toString(),
                "DOCJOBS_DATABASE_CONNECTION_STRING", "mongodb://other:27017")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).contains("environment variables"
                        + " DOCJOBS_DATABASE_CONNECTION_STRING and DOCJOBS_DATABASE_CONNECTION_STRING_FILE are both set:"
                        + " set only one (DOCJOBS_DATABASE_CONNECTION_STRING_FILE names a file holding the value of"
                        + " DOCJOBS_DATABASE_CONNECTION_STRING)"));
    }

    @Test
    void aFileVariableNamingAFileThatCannotBeReadIsAnErrorNamingVariableAndPath() {
        Path missing = dir.resolve("no-such-secret");

        assertThatThrownBy(() -> load(EMBEDDED, Map.of("DOCJOBS_HTTP_HOST_FILE", missing.toString(),
                "DOCJOBS_SUPERVISOR_NAME_FILE", dir.toString(), "DOCJOBS_SUPERVISOR_WORKERS_FILE", "")))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(((ConfigException) e).problems()).containsExactly(
                        "environment variable DOCJOBS_HTTP_HOST_FILE names the file " + missing.toAbsolutePath()
                                + ", which does not exist",
                        "environment variable DOCJOBS_SUPERVISOR_NAME_FILE names the file " + dir.toAbsolutePath()
                                + ", which cannot be read: java.io.IOException: Is a directory",
                        "environment variable DOCJOBS_SUPERVISOR_WORKERS_FILE is empty but must name a file holding the"
                                + " value"));
    }

    @Test
    void aBadValueFromAFileNamesTheFileAndTheVariable() throws IOException {
        Path workers = Files.writeString(dir.resolve("workers"), "0\n");

        assertThatThrownBy(() -> load(EMBEDDED, Map.of("DOCJOBS_SUPERVISOR_WORKERS_FILE", workers.toString())))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("the file " + workers.toAbsolutePath() + " (named by environment variable"
                        + " DOCJOBS_SUPERVISOR_WORKERS_FILE) was 0 but must be between 1 and 10000");
    }

    @Test
    void variablesOfOtherDocjobsProgramsAreIgnoredWithAWarning() throws IOException {
        try (LogCapture logs = new LogCapture()) {
            DaemonConfig config = load(EMBEDDED, Map.of("DOCJOBS_TEST_MONGODB_URI", "mongodb://test:27017",
                    "DOCJOBS_MONGODB_URI", "mongodb://example:27017"));

            assertThat(config.database().embedded()).isTrue();
            assertThat(logs.events()).extracting(event -> event.getFormattedMessage())
                    .anyMatch(line -> line.contains("DOCJOBS_MONGODB_URI") && line.contains("ignored")
                            && line.contains("DOCJOBS_DATABASE_CONNECTION_STRING"))
                    .anyMatch(line -> line.contains("DOCJOBS_TEST_MONGODB_URI") && line.contains("the test suite"));
        }
    }

    @Test
    void perTypeOptionsFromTheEnvironmentOverrideTheFileForATypeWithDots() throws IOException {
        DaemonConfig config = load(EMBEDDED + """
                discoverHandlers: false
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                    concurrency: 2
                    timeout: 10m
                """, Map.of("DOCJOBS_HANDLERS_REPORT_RENDER_CONCURRENCY", "5",
                "DOCJOBS_HANDLERS_REPORT_RENDER_NON_RETRYABLE", "java.lang.IllegalStateException, java.io.EOFException"));

        assertThat(config.handlers().get("report.render").concurrency()).isEqualTo(5);
        assertThat(config.handlers().get("report.render").timeout()).as("from the file").isEqualTo(Duration.ofMinutes(10));
        HandlerOptions options = HandlerLoader.load(config, getClass().getClassLoader()).get("report.render").options();
        assertThat(options.concurrency()).isEqualTo(5);
        assertThat(options.nonRetryable()).contains(IllegalStateException.class, java.io.EOFException.class);
    }

    @Test
    void aBadPerTypeValueFromTheEnvironmentNamesTheVariable() {
        assertThatThrownBy(() -> load(EMBEDDED + """
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                """, Map.of("DOCJOBS_HANDLERS_REPORT_RENDER_TIMEOUT", "8d")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variable DOCJOBS_HANDLERS_REPORT_RENDER_TIMEOUT was \"8d\" but must be at"
                        + " most 7d");
    }

    @Test
    void aMistypedPerTypeOptionNamesTheClosestVariable() {
        assertThatThrownBy(() -> load(EMBEDDED, Map.of("DOCJOBS_HANDLERS_INVOICE_RENDER_CONCURENCY", "3")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variable DOCJOBS_HANDLERS_INVOICE_RENDER_CONCURENCY is not a docjobs"
                        + " setting (did you mean DOCJOBS_HANDLERS_INVOICE_RENDER_CONCURRENCY?)");
    }

    @Test
    void aPerTypeVariableForATypeNoHandlerServesIsAnErrorListingTheTypes() throws IOException {
        DaemonConfig config = load(EMBEDDED + """
                discoverHandlers: false
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                """, Map.of("DOCJOBS_HANDLERS_REPORT_RENDR_CONCURRENCY", "3"));

        assertThatThrownBy(() -> HandlerLoader.load(config, getClass().getClassLoader()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variables DOCJOBS_HANDLERS_REPORT_RENDR_* set options of a type no"
                        + " handler here serves; the types here are [report.render (DOCJOBS_HANDLERS_REPORT_RENDER_*)]");
    }

    @Test
    void aPerTypeVariableThatTwoTypesShareIsAnError() {
        assertThatThrownBy(() -> load(EMBEDDED + """
                handlers:
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                  report-render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                """, Map.of("DOCJOBS_HANDLERS_REPORT_RENDER_CONCURRENCY", "3")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variables DOCJOBS_HANDLERS_REPORT_RENDER_* could mean any of the types"
                        + " [report.render, report-render]");
    }

    @Test
    void aKeyWrittenTwiceIsAnErrorRatherThanTheLastOneWinning() {
        assertThatThrownBy(() -> load(EMBEDDED + "supervisor:\n  workers: 4\ndatabase:\n  operationTimeout: 1s\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML")
                .hasMessageContaining("duplicate key database");
    }

    @Test
    void invalidYamlIsReportedAsSuch() {
        assertThatThrownBy(() -> load("supervisor: [unclosed\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void handlerClassThatDoesNotExistIsNamed() throws IOException {
        DaemonConfig config = load(EMBEDDED + "handlers:\n  billing:\n    class: com.example.Missing\ndiscoverHandlers: false\n", Map.of());

        assertThatThrownBy(() -> HandlerLoader.load(config, getClass().getClassLoader()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("handlers.billing.class was \"com.example.Missing\" but no such class was found");
    }

    @Test
    void configuredOptionsOverrideAProvidersOwn() throws IOException {
        DaemonConfig config = load(EMBEDDED + """
                discoverHandlers: false
                handlers:
                  payment.charge:
                    class: io.docjobs.examples.handlers.ChargePaymentHandler$Provider
                    concurrency: 3
                    timeout: 2m
                    nonRetryable: [java.lang.IllegalStateException]
                """, Map.of());

        HandlerLoader.Loaded loaded = HandlerLoader.load(config, getClass().getClassLoader()).get("payment.charge");

        assertThat(loaded.options().concurrency()).isEqualTo(3);
        assertThat(loaded.options().timeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(loaded.options().nonRetryable()).contains(IllegalStateException.class, IllegalArgumentException.class);
    }

    @Test
    void noHandlersAtAllIsAConfigurationError() throws IOException {
        DaemonConfig config = load(EMBEDDED + "discoverHandlers: false\n", Map.of());

        assertThatThrownBy(() -> HandlerLoader.load(config, getClass().getClassLoader()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no handlers to run")
                .hasMessageContaining("META-INF/services/io.docjobs.JobHandlerProvider")
                .hasMessageContaining("handlers.<type>.class")
                .hasMessageContaining("discoverHandlers: true");
    }

    @Test
    void doesNotLoadTheExamplesInsideDocjobsWithDiscoveryOnAndNoHandlerJars() throws IOException {
        DaemonConfig config = load(EMBEDDED + "handlerDirectory: \"" + dir.resolve("handlers") + "\"\n", Map.of());

        assertThatThrownBy(() -> HandlerLoader.load(config, getClass().getClassLoader()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no handlers to run")
                .hasMessageContaining("the handler directory " + dir.resolve("handlers").toAbsolutePath());
    }
}
