package io.docjobs.tools.chaos;

import io.docjobs.QueueConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The configuration every daemon of the chaos run shares. The connection string and each daemon's
 * supervisor name come through the environment ({@code DOCJOBS_DATABASE_CONNECTION_STRING},
 * {@code DOCJOBS_SUPERVISOR_NAME}), as in production. The run's schedules are in it
 * ({@link ChaosSchedules#yaml}), so every daemon defines and fires them.
 */
final class DaemonConfigFile {
    private DaemonConfigFile() {
    }

    /** The daemons' {@code database.operationTimeout}: two fifths of the lease, between 500 ms and the default 10 s. */
    static Duration operationTimeout(Duration visibilityTimeout) {
        Duration share = visibilityTimeout.multipliedBy(2).dividedBy(5);
        Duration floor = Duration.ofMillis(500);
        Duration cap = QueueConfig.DEFAULT_OPERATION_TIMEOUT;
        return share.compareTo(floor) < 0 ? floor : share.compareTo(cap) > 0 ? cap : share;
    }

    static Path write(Path workDir, ChaosSettings settings) throws IOException {
        return Files.writeString(workDir.resolve("chaos-daemon.yaml"), """
                # Written by docjobs chaos: the daemons of the chaos run.
                # Two fifths of a lease: the keeper extends with two thirds of the lease left, so a
                # heartbeat stuck on a dead (half-open) connection fails in time for a retry on a
                # fresh one; the driver's socket and server selection time-outs follow it.
                database:
                  operationTimeout: %dms
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
                  # Long jobs hold a slot for minutes: capped, so that the others always find one.
                  %s:
                    class: %s
                    concurrency: %d
                http:
                  enabled: false
                """.formatted(operationTimeout(settings.visibilityTimeout()).toMillis(), settings.visibilityTimeout().toMillis(), settings.workers(), settings.backoffCap().toMillis(),
                ChaosHandler.Provider.class.getName(), ChaosHandler.LONG_TYPE, ChaosHandler.Provider.class.getName(),
                settings.longSlots()) + ChaosSchedules.yaml(settings));
    }
}
