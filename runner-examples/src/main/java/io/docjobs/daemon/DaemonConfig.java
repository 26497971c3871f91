package io.docjobs.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The daemon's configuration, as read from {@code config/docjobs.yaml} and the environment by
 * {@link ConfigLoader}. Every value is validated there, each duration against the library's maximum
 * for it (such as {@link io.docjobs.HandlerOptions#MAX_TIMEOUT}); defaults live in {@link ConfigLoader#KEYS}.
 *
 * @param source where the configuration came from (a file path, or "defaults")
 * @param handlers the handler settings by type, from the file with the environment's overrides
 * @param environmentHandlers settings from {@code DOCJOBS_HANDLERS_<TYPE>_<OPTION>} variables
 *     whose type the file does not name, by the type's variable form ({@code REPORT_RENDER});
 *     {@link HandlerLoader} matches them to discovered providers. Unset options are null.
 * @param schedules the schedules of the file's {@code schedules:} section, which the daemon defines when it starts
 */
public record DaemonConfig(
        String source,
        Database database,
        Embedded embedded,
        Queue queue,
        SupervisorSettings supervisor,
        Map<String, Handler> handlers,
        Map<String, Handler> environmentHandlers,
        List<io.docjobs.Schedule> schedules,
        Path handlerDirectory,
        boolean discoverHandlers,
        Http http,
        Console console) {

    /**
     * Where the queue lives: the server {@code connectionString} names, or, when {@code embedded},
     * the embedded database (then the connection string is empty).
     */
    public record Database(String connectionString, boolean embedded, String name, String collection, Path caFile,
            Duration operationTimeout, boolean changeStreams) {
    }

    /** The embedded database: its port on 127.0.0.1 and its data file (null = in memory). */
    public record Embedded(int port, Path dataFile) {
    }

    /** Defaults for entries enqueued without their own values. */
    public record Queue(Duration defaultVisibilityTimeout, int defaultMaxAttempts) {
    }

    /** The supervisor's settings; see {@link io.docjobs.Supervisor.Builder}. */
    public record SupervisorSettings(String name, int workers, int pollers, int maxBatch, int prefetch, Duration idleBackoffMin,
            Duration idleBackoffMax, Duration drainTimeout, Duration depthRefresh, Duration registryInterval) {
    }

    /**
     * One configured handler. A null value means "not set here": the handler's provider or the
     * library default applies.
     */
    public record Handler(String type, String className, Integer concurrency, Duration timeout, Integer maxAttempts,
            Duration leaseExtension, Duration backoffInitial, Duration backoffMax, List<String> nonRetryable) {
    }

    /** The metrics and health endpoint. */
    public record Http(boolean enabled, String host, int port) {
    }

    /**
     * The web console on the HTTP server (README: "Web console").
     *
     * @param enabled whether {@code /} and {@code /api/} are served (only when http is enabled)
     * @param token   the token write actions need; empty disables them. Never printed: {@link #toString()} masks it
     */
    public record Console(boolean enabled, String token) {
        /** {@return whether write actions are enabled} */
        public boolean writesEnabled() {
            return !token.isEmpty();
        }

        @Override
        public String toString() {
            return "Console[enabled=" + enabled + ", token=" + (token.isEmpty() ? "none" : "****") + "]";
        }
    }
}
