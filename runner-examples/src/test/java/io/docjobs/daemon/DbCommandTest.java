package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DbCommandTest {
    @Test
    void theDatabaseCommandsDefaultPortIsTheConfigurationsEmbeddedPort() {
        DaemonConfig defaults = new ConfigLoader(Map.of("DOCJOBS_DATABASE_EMBEDDED", "true"))
                .load(Path.of("no-such-docjobs.yaml"), false);

        String dbPort = new CommandLine(new DbCommand()).getCommandSpec().findOption("--port").defaultValue();

        assertThat(dbPort).as("docjobs db listens where the admin commands look").isEqualTo(
                String.valueOf(defaults.embedded().port()));
    }
}
