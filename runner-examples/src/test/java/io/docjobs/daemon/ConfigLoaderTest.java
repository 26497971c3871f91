package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration: defaults, the shipped file, environment overrides, and errors that name file, key, value and rule. */
class ConfigLoaderTest {
    @TempDir
    Path dir;

    private DaemonConfig load(String yaml, Map<String, String> env) throws IOException {
        Path file = Files.writeString(dir.resolve("docjobs.yaml"), yaml);
        return new ConfigLoader(env::get).load(file, true);
    }

    @Test
    void missingOptionalFileMeansDefaults() {
        DaemonConfig config = new ConfigLoader(name -> null).load(dir.resolve("absent.yaml"), false);

        assertThat(config.database().embedded()).isTrue();
        assertThat(config.supervisor().workers()).isEqualTo(8);
        assertThat(config.database().operationTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.http().host()).isEqualTo("127.0.0.1");
        assertThat(config.embedded().dataFile()).isEqualTo(Path.of("data/docjobs.h2"));
    }

    @Test
    void missingFileThatWasAskedForIsAnError() {
        assertThatThrownBy(() -> new ConfigLoader(name -> null).load(dir.resolve("absent.yaml"), true))
                .isInstanceOf(ConfigException.class).hasMessageContaining("absent.yaml").hasMessageContaining("does not exist");
    }

    @Test
    void theShippedConfigurationLoadsAndDocumentsEveryKey() throws IOException {
        Path shipped = Path.of("..", "config", "docjobs.yaml");
        DaemonConfig config = new ConfigLoader(name -> null).load(shipped, true);

        assertThat(config.handlers()).containsKeys("email.send", "report.render", "payment.charge");
        assertThat(config.handlers().get("report.render").concurrency()).isEqualTo(2);
        String text = Files.readString(shipped);
        for (ConfigLoader.Key key : ConfigLoader.KEYS) {
            String leaf = key.path().substring(key.path().lastIndexOf('.') + 1);
            assertThat(text).as("config/docjobs.yaml documents " + key.path()).contains(leaf + ":");
        }
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
        assertThatThrownBy(() -> load("""
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
    void environmentErrorsNameTheVariable() {
        assertThatThrownBy(() -> load("", Map.of("DOCJOBS_SUPERVISOR_WORKERS", "-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment variable DOCJOBS_SUPERVISOR_WORKERS was -1 but must be between 1 and 10000");
    }

    @Test
    void invalidYamlIsReportedAsSuch() {
        assertThatThrownBy(() -> load("supervisor: [unclosed\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void handlerClassThatDoesNotExistIsNamed() throws IOException {
        DaemonConfig config = load("handlers:\n  billing:\n    class: com.example.Missing\ndiscoverHandlers: false\n", Map.of());

        assertThatThrownBy(() -> HandlerLoader.load(config, getClass().getClassLoader()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("handlers.billing.class was \"com.example.Missing\" but no such class was found");
    }

    @Test
    void configuredOptionsOverrideAProvidersOwn() throws IOException {
        DaemonConfig config = load("""
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
        DaemonConfig config = load("discoverHandlers: false\n", Map.of());

        assertThatThrownBy(() -> HandlerLoader.load(config, getClass().getClassLoader()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no handlers");
    }
}
