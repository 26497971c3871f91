package io.docjobs.tools.chaos;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The configuration every daemon of the chaos run shares. The connection string and each daemon's
 * supervisor name come through the environment ({@code DOCJOBS_DATABASE_CONNECTION_STRING},
 * {@code DOCJOBS_SUPERVISOR_NAME}), as in production. The run's schedules are in it
 * ({@link ChaosSchedules#yaml}), so every daemon defines and fires them.
 */
final class DaemonConfigFile {
    private DaemonConfigFile() {
    }

    static Path write(Path workDir, ChaosSettings settings) throws IOException {
        return Files.writeString(workDir.resolve("chaos-daemon.yaml"), """
                # Written by docjobs chaos: the daemons of the chaos run.
                queue:
                  defaultVisibilityTimeout: %dms
                supervisor:
                  workers: %d
                  # Short idle back-off: redelivery waits at most one back-off cap after a lease expired.
                  idleBackoffMin: 20ms
                  idleBackoffMax: %dms
                  drainTimeout: 10s
                  depthRefresh: 0s
                # Only the chaos handler: not the example handlers the jar also carries.
                discoverHandlers: false
                handlerDirectory: ""
                handlers:
                  chaos.job:
                    class: %s
                http:
                  enabled: false
                """.formatted(settings.visibilityTimeout().toMillis(), settings.slots(), settings.backoffCap().toMillis(),
                ChaosHandler.Provider.class.getName()) + ChaosSchedules.yaml(settings));
    }
}
