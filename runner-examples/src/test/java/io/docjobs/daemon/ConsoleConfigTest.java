package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The console's keys: on and read-only by default, a token from the environment, never printed, never short. */
class ConsoleConfigTest {
    @TempDir
    Path dir;

    private DaemonConfig load(String yaml, Map<String, String> env) throws Exception {
        return new ConfigLoader(env).load(Files.writeString(dir.resolve("docjobs.yaml"), "database:\n  embedded: true\n"
                + yaml), true);
    }

    @Test
    void onAndReadOnlyByDefault() throws Exception {
        DaemonConfig.Console console = load("", Map.of()).console();
        assertThat(console.enabled()).isTrue();
        assertThat(console.writesEnabled()).isFalse();
    }

    @Test
    void theTokenComesFromTheEnvironmentOrAFileAndIsNeverPrinted() throws Exception {
        String token = "a-token-of-enough-length-42";
        DaemonConfig fromEnv = load("console:\n  enabled: true\n", Map.of("DOCJOBS_CONSOLE_TOKEN", token));
        assertThat(fromEnv.console().token()).isEqualTo(token);
        Path secret = Files.writeString(dir.resolve("token"), token + "\n");
        DaemonConfig fromFile = load("", Map.of("DOCJOBS_CONSOLE_TOKEN_FILE", secret.toString()));
        assertThat(fromFile.console().token()).isEqualTo(token);
        assertThat(fromFile.toString()).doesNotContain(token);
        assertThat(ConfigPrinter.describe(fromFile)).doesNotContain(token).contains("console=on (write actions enabled");
    }

    @Test
    void aShortTokenIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> load("console:\n  token: hunter2\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("console.token was 7 characters long but must be empty")
                .hasMessageNotContaining("hunter2");
    }
}
