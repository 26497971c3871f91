package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.daemon.ConfigLoader;
import io.docjobs.daemon.DaemonConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chaos daemons' configuration loads as a daemon would load it, with long jobs in capped slots of their own. */
class DaemonConfigFileTest {
    @TempDir
    Path dir;

    @Test
    void longJobsAreCappedAtTheLongSlotsSoThatTheOtherJobsKeepTheirSlots() throws Exception {
        ChaosSettings settings = new ChaosSettings(1_000, 3, 8, 6, Duration.ofSeconds(5), Duration.ofSeconds(3), 10, true,
                true, Duration.ofMinutes(5), Duration.ofMillis(250), Duration.ofSeconds(1), 2_000, dir, true, true,
                Workload.DEFAULT);

        DaemonConfig config = new ConfigLoader(Map.of("DOCJOBS_DATABASE_CONNECTION_STRING", "mongodb://localhost:1"))
                .load(DaemonConfigFile.write(dir, settings), true);

        assertThat(config.supervisor().workers()).isEqualTo(14);
        assertThat(config.handlers()).containsOnlyKeys(ChaosHandler.TYPE, ChaosHandler.LONG_TYPE);
        assertThat(config.handlers().get(ChaosHandler.LONG_TYPE).concurrency()).isEqualTo(6);
        assertThat(config.handlers().get(ChaosHandler.TYPE).concurrency()).isNull();
        assertThat(config.handlers().get(ChaosHandler.LONG_TYPE).className())
                .isEqualTo(ChaosHandler.Provider.class.getName());
    }
}
