package io.docjobs;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

// Over 300 lines: one record with fourteen components, its named defaults, the constructor that
// checks them all at once, and a builder with a setter per component; the length is the Javadoc
// every public member carries.
/**
 * How a {@link JobQueue} connects and behaves. Immutable; build with {@link #builder()}. The
 * constructor validates every value and reports all problems at once.
 *
 * @param connectionString        MongoDB connection string, e.g. {@code mongodb://host:27017};
 *                                required by {@link JobQueue#connect}, ignored when a client is
 *                                supplied
 * @param database                database name; default {@value #DEFAULT_DATABASE}
 * @param collection              collection holding the entries; default {@value #DEFAULT_COLLECTION}
 * @param caFile                  PEM file with the CA certificate(s) to trust for TLS, as Amazon
 *                                DocumentDB needs; null for the JVM's default trust (TLS only if
 *                                the connection string asks for it)
 * @param operationTimeout        bound on finding a server, connecting and each database reply;
 *                                default 10 s, from 1 ms to {@link #MAX_OPERATION_TIMEOUT}
 * @param defaultVisibilityTimeout lease length for requests that set none; default 30 s, at most
 *                                {@link JobRequest#MAX_VISIBILITY_TIMEOUT}
 * @param defaultMaxAttempts      attempts for requests that set none; default {@value #DEFAULT_MAX_ATTEMPTS}
 * @param retryAttempts           tries (first included) of an operation failing with a transient
 *                                database error; 1 disables retrying; default 4
 * @param retryInitialBackoff     first wait between tries; grows exponentially with jitter; default
 *                                100 ms, from 1 ms to {@link #MAX_RETRY_BACKOFF}
 * @param retryMaxBackoff         cap of the wait between tries; default 2 s, from
 *                                {@code retryInitialBackoff} to {@link #MAX_RETRY_BACKOFF}
 * @param serverClockSync         how often to re-measure the offset to the database server's clock;
 *                                {@link Duration#ZERO} measures never (offset 0: trust the local
 *                                clock); default 5 min, at most {@link #MAX_SERVER_CLOCK_SYNC}
 * @param clock                   the local clock; default {@link Clock#systemUTC()}
 * @param changeStreams           whether {@link JobQueue#onEnqueue} listeners also hear of entries
 *                                inserted by other processes, through a change stream, when the
 *                                server supports one (replica sets; DocumentDB with streams
 *                                enabled); default true. Without streams, idle pollers rely on
 *                                their back-off
 * @param traceparent             supplies the current W3C {@code traceparent} for enqueues whose
 *                                request sets none (e.g. from the OpenTelemetry span in scope; see
 *                                the README's "Tracing"); null (default) or a null result for none;
 *                                an invalid value is ignored
 */
public record QueueConfig(
        @Nullable String connectionString,
        String database,
        String collection,
        @Nullable Path caFile,
        Duration operationTimeout,
        Duration defaultVisibilityTimeout,
        int defaultMaxAttempts,
        int retryAttempts,
        Duration retryInitialBackoff,
        Duration retryMaxBackoff,
        Duration serverClockSync,
        Clock clock,
        boolean changeStreams,
        java.util.function.@Nullable Supplier<@Nullable String> traceparent) {

    /** The default {@code database}. */
    public static final String DEFAULT_DATABASE = "docjobs";
    /** The default {@code collection}. */
    public static final String DEFAULT_COLLECTION = "jobs";
    /** The default {@code operationTimeout}: 10 s. */
    public static final Duration DEFAULT_OPERATION_TIMEOUT = Duration.ofSeconds(10);
    /** The default {@code defaultVisibilityTimeout}: 30 s. */
    public static final Duration DEFAULT_VISIBILITY_TIMEOUT = Duration.ofSeconds(30);
    /** The default {@code defaultMaxAttempts}. */
    public static final int DEFAULT_MAX_ATTEMPTS = 5;
    /** The default {@code retryAttempts}. */
    public static final int DEFAULT_RETRY_ATTEMPTS = 4;
    /** The default {@code retryInitialBackoff}: 100 ms. */
    public static final Duration DEFAULT_RETRY_INITIAL_BACKOFF = Duration.ofMillis(100);
    /** The default {@code retryMaxBackoff}: 2 s. */
    public static final Duration DEFAULT_RETRY_MAX_BACKOFF = Duration.ofSeconds(2);
    /** The default {@code serverClockSync}: 5 minutes. */
    public static final Duration DEFAULT_SERVER_CLOCK_SYNC = Duration.ofMinutes(5);
    /** The longest {@code operationTimeout}: a database silent for 10 minutes is down, not slow. */
    public static final Duration MAX_OPERATION_TIMEOUT = Duration.ofMinutes(10);
    /** The longest retry back-off: a transient error lasting longer is an outage to report, not wait out. */
    public static final Duration MAX_RETRY_BACKOFF = Duration.ofMinutes(10);
    /** The longest {@code serverClockSync}: clocks drift by at most seconds a day. */
    public static final Duration MAX_SERVER_CLOCK_SYNC = Duration.ofDays(1);

    /**
     * Checks every value against the rules above.
     *
     * @param connectionString         the connection string, or null
     * @param database                 the database name
     * @param collection               the collection name
     * @param caFile                   the CA file, or null
     * @param operationTimeout         the bound on each database call
     * @param defaultVisibilityTimeout the lease length of requests that set none
     * @param defaultMaxAttempts       the attempts of requests that set none
     * @param retryAttempts            the tries of a transiently failing operation
     * @param retryInitialBackoff      the first wait between tries
     * @param retryMaxBackoff          the cap of the wait between tries
     * @param serverClockSync          the clock offset re-measurement interval; zero for never
     * @param clock                    the local clock
     * @param changeStreams            whether to follow other processes' inserts
     * @param traceparent              the supplier of the current trace context, or null
     * @throws ConfigurationException listing every invalid value
     */
    public QueueConfig {
        List<String> problems = new ArrayList<>();
        if (database == null || database.isBlank() || database.matches(".*[/\\\\. \"$].*") || database.length() > 63) {
            problems.add("database was " + quote(database)
                    + " but must be a non-blank name of at most 63 characters without / \\ . space \" or $");
        }
        if (collection == null || collection.isBlank() || collection.contains("$") || collection.startsWith("system.")) {
            problems.add("collection was " + quote(collection)
                    + " but must be a non-blank name without $ that does not start with \"system.\"");
        }
        Bounds.positiveMillis("operationTimeout", operationTimeout, MAX_OPERATION_TIMEOUT, "", problems);
        if (defaultVisibilityTimeout == null) {
            problems.add("defaultVisibilityTimeout was null but must be set");
        } else {
            JobRequest.checkVisibilityTimeout("defaultVisibilityTimeout", defaultVisibilityTimeout, problems);
        }
        if (defaultMaxAttempts < 1) {
            problems.add("defaultMaxAttempts was " + defaultMaxAttempts + " but must be at least 1");
        }
        if (retryAttempts < 1) {
            problems.add("retryAttempts was " + retryAttempts + " but must be at least 1 (1 means no retry)");
        }
        int before = problems.size();
        Bounds.positiveMillis("retryInitialBackoff", retryInitialBackoff, MAX_RETRY_BACKOFF, "", problems);
        Bounds.positiveMillis("retryMaxBackoff", retryMaxBackoff, MAX_RETRY_BACKOFF, "", problems);
        if (problems.size() == before && retryMaxBackoff.compareTo(retryInitialBackoff) < 0) {
            problems.add("retryMaxBackoff was " + retryMaxBackoff + " but must not be below retryInitialBackoff ("
                    + retryInitialBackoff + ")");
        }
        Bounds.zeroOrPositive("serverClockSync", serverClockSync, "never", MAX_SERVER_CLOCK_SYNC, "", problems);
        if (clock == null) {
            problems.add("clock was null but must be set (Clock.systemUTC() by default)");
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
    }

    /**
     * {@code text} with the password of every MongoDB connection string in it replaced by
     * {@code ****}: safe to print and log. Up to the last {@code @} counts as credentials, since an
     * unencoded {@code @} in a password is exactly what makes a string malformed.
     *
     * @param text any text, such as a connection string or an error message; may be null
     * @return the masked text; null for null
     */
    public static String maskPassword(String text) {
        return text == null ? null : PASSWORD.matcher(text).replaceAll("$1****$3");
    }

    // The user part may hold an '@' too; the driver splits user information at the last '@'.
    private static final java.util.regex.Pattern PASSWORD =
            java.util.regex.Pattern.compile("(mongodb(?:\\+srv)?://[^:/\\s]*:)(\\S*)(@)");

    private static String quote(String value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    /** {@return a builder with every default set} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from this configuration} */
    public Builder toBuilder() {
        return new Builder().connectionString(connectionString).database(database).collection(collection)
                .caFile(caFile).operationTimeout(operationTimeout).defaultVisibilityTimeout(defaultVisibilityTimeout)
                .defaultMaxAttempts(defaultMaxAttempts).retryAttempts(retryAttempts)
                .retryInitialBackoff(retryInitialBackoff).retryMaxBackoff(retryMaxBackoff)
                .serverClockSync(serverClockSync).clock(clock).changeStreams(changeStreams).traceparent(traceparent);
    }

    /** Builds a {@link QueueConfig}; see the record components for meanings and defaults. */
    public static final class Builder {
        private String connectionString;
        private String database = DEFAULT_DATABASE;
        private String collection = DEFAULT_COLLECTION;
        private Path caFile;
        private Duration operationTimeout = DEFAULT_OPERATION_TIMEOUT;
        private Duration defaultVisibilityTimeout = DEFAULT_VISIBILITY_TIMEOUT;
        private int defaultMaxAttempts = DEFAULT_MAX_ATTEMPTS;
        private int retryAttempts = DEFAULT_RETRY_ATTEMPTS;
        private Duration retryInitialBackoff = DEFAULT_RETRY_INITIAL_BACKOFF;
        private Duration retryMaxBackoff = DEFAULT_RETRY_MAX_BACKOFF;
        private Duration serverClockSync = DEFAULT_SERVER_CLOCK_SYNC;
        private Clock clock = Clock.systemUTC();
        private boolean changeStreams = true;
        private java.util.function.Supplier<String> traceparent;

        private Builder() {
        }

        /**
         * The MongoDB connection string; default null. Required by {@link JobQueue#connect}, ignored by {@link
         * JobQueue#using}.
         *
         * @param connectionString e.g. {@code mongodb://host:27017}, or null
         * @return this builder
         */
        public Builder connectionString(@Nullable String connectionString) {
            this.connectionString = connectionString;
            return this;
        }

        /**
         * The database name; default {@value #DEFAULT_DATABASE}.
         *
         * @param database at most 63 characters, without slash, backslash, dot, space, double quote or {@code $}
         * @return this builder
         */
        public Builder database(String database) {
            this.database = database;
            return this;
        }

        /**
         * The collection holding the entries; default {@value #DEFAULT_COLLECTION}.
         *
         * @param collection without {@code $}, not starting with {@code system.}
         * @return this builder
         */
        public Builder collection(String collection) {
            this.collection = collection;
            return this;
        }

        /**
         * The PEM file of CA certificates to trust for TLS; default null, the JVM's trust store.
         *
         * @param caFile a readable PEM file, or null
         * @return this builder
         */
        public Builder caFile(@Nullable Path caFile) {
            this.caFile = caFile;
            return this;
        }

        /**
         * The bound on finding a server, connecting and each reply; default 10 s.
         *
         * @param operationTimeout from 1 ms to {@link #MAX_OPERATION_TIMEOUT}
         * @return this builder
         */
        public Builder operationTimeout(Duration operationTimeout) {
            this.operationTimeout = operationTimeout;
            return this;
        }

        /**
         * The lease length of requests that set none; default 30 s.
         *
         * @param defaultVisibilityTimeout from 1 ms to {@link JobRequest#MAX_VISIBILITY_TIMEOUT}
         * @return this builder
         */
        public Builder defaultVisibilityTimeout(Duration defaultVisibilityTimeout) {
            this.defaultVisibilityTimeout = defaultVisibilityTimeout;
            return this;
        }

        /**
         * The attempts of requests that set none; default {@value #DEFAULT_MAX_ATTEMPTS}.
         *
         * @param defaultMaxAttempts at least 1
         * @return this builder
         */
        public Builder defaultMaxAttempts(int defaultMaxAttempts) {
            this.defaultMaxAttempts = defaultMaxAttempts;
            return this;
        }

        /**
         * Tries, the first included, of an operation failing with transient errors; default {@value
         * #DEFAULT_RETRY_ATTEMPTS}.
         *
         * @param retryAttempts at least 1; 1 disables retrying
         * @return this builder
         */
        public Builder retryAttempts(int retryAttempts) {
            this.retryAttempts = retryAttempts;
            return this;
        }

        /**
         * The first wait between tries, growing exponentially with jitter; default 100 ms.
         *
         * @param retryInitialBackoff from 1 ms to {@link #MAX_RETRY_BACKOFF}
         * @return this builder
         */
        public Builder retryInitialBackoff(Duration retryInitialBackoff) {
            this.retryInitialBackoff = retryInitialBackoff;
            return this;
        }

        /**
         * The cap of the wait between tries; default 2 s.
         *
         * @param retryMaxBackoff from {@code retryInitialBackoff} to {@link #MAX_RETRY_BACKOFF}
         * @return this builder
         */
        public Builder retryMaxBackoff(Duration retryMaxBackoff) {
            this.retryMaxBackoff = retryMaxBackoff;
            return this;
        }

        /**
         * How often the offset to the server's clock is re-measured; default 5 minutes.
         *
         * @param serverClockSync zero (never: trust the local clock) to {@link #MAX_SERVER_CLOCK_SYNC}
         * @return this builder
         */
        public Builder serverClockSync(Duration serverClockSync) {
            this.serverClockSync = serverClockSync;
            return this;
        }

        /**
         * Whether enqueue listeners also hear of other processes' inserts, through a change stream where the server
         * has one; default true.
         *
         * @param changeStreams false to rely on polling alone
         * @return this builder
         */
        public Builder changeStreams(boolean changeStreams) {
            this.changeStreams = changeStreams;
            return this;
        }

        /**
         * Where enqueues without a {@code traceparent} of their own take the current one; default null (none).
         *
         * @param traceparent called on the enqueuing thread; may return null
         * @return this builder
         */
        public Builder traceparent(java.util.function.@Nullable Supplier<@Nullable String> traceparent) {
            this.traceparent = traceparent;
            return this;
        }

        /**
         * The local clock, corrected by the measured server offset; default {@link Clock#systemUTC()}.
         *
         * @param clock not null; tests pass a {@link io.docjobs.testing.ManualClock}
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Bounds.notNull(clock, "clock");
            return this;
        }

        /**
         * {@return the configuration}
         *
         * @throws ConfigurationException listing every invalid value
         */
        public QueueConfig build() {
            return new QueueConfig(connectionString, database, collection, caFile, operationTimeout,
                    defaultVisibilityTimeout, defaultMaxAttempts, retryAttempts, retryInitialBackoff, retryMaxBackoff,
                    serverClockSync, clock, changeStreams, traceparent);
        }
    }
}
