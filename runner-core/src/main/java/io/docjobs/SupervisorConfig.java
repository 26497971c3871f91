package io.docjobs;

import io.docjobs.metrics.QueueMetrics;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link Supervisor} claims and runs jobs. Immutable; build with {@link #builder()}, or set
 * the same values on {@link Supervisor.Builder}. The constructor checks every value and reports
 * all problems at once; the defaults and bounds below are the only copy of them (the daemon's
 * configuration file maps onto this record).
 *
 * @param name           names the supervisor in thread names, logs and the default worker id: 1-64
 *                       letters, digits, '.', '_' or '-'; default {@value #DEFAULT_NAME}
 * @param workerId       the worker id written into leases; null or blank for host-pid-name
 * @param workers        most jobs running at once (worker slots): 1 to {@value #MAX_WORKERS};
 *                       default {@value #DEFAULT_WORKERS}
 * @param pollers        poller threads: 1 to {@value #MAX_POLLERS}; default {@value #DEFAULT_POLLERS},
 *                       which suits most deployments
 * @param maxBatch       most entries one claim round takes: 1 to {@value #MAX_BATCH}; default
 *                       {@value #DEFAULT_MAX_BATCH}
 * @param prefetch       the most jobs claimed ahead: leased beyond the running ones, heartbeated,
 *                       started as handlers return and handed back unstarted at close; 0 to
 *                       {@value #MAX_PREFETCH}; default {@value #DEFAULT_PREFETCH}. How many are claimed
 *                       ahead is measured: about as many as the workers finish during four claims, and
 *                       none while claims come back with fewer entries than they asked for. So short
 *                       jobs on a backlog are claimed in large batches (few round trips per job), while
 *                       jobs long next to a claim, and the tail of a draining queue, are not held here
 *                       while other supervisors may be idle; 0 never claims ahead
 * @param idleBackoffMin first wait after an empty poll; positive, at most {@link #MAX_IDLE_BACKOFF};
 *                       default 50 ms
 * @param idleBackoffMax the cap the idle wait doubles up to (with jitter); from {@code idleBackoffMin}
 *                       to {@link #MAX_IDLE_BACKOFF}; default 2 s
 * @param drainTimeout   how long {@link Supervisor#close()} waits for running jobs before handing
 *                       them back; zero to {@link #MAX_DRAIN_TIMEOUT}; default 30 s
 * @param depthRefresh   how often queue-depth gauges are refreshed with one aggregate query; zero
 *                       turns them off; at most {@link #MAX_DEPTH_REFRESH}; default 15 s
 * @param registryInterval how often the supervisor writes its document in the queue's supervisor
 *                       registry ({@link JobAdmin#supervisors()}): one write per interval, off the claim
 *                       path; zero turns the registry off; else {@link #MIN_REGISTRY_INTERVAL} to
 *                       {@link #MAX_REGISTRY_INTERVAL}; default 10 s. Operators see a supervisor as gone
 *                       after {@value SupervisorInfo#MISSED_INTERVALS} intervals without a write
 */
public record SupervisorConfig(
        String name,
        @Nullable String workerId,
        int workers,
        int pollers,
        int maxBatch,
        int prefetch,
        Duration idleBackoffMin,
        Duration idleBackoffMax,
        Duration drainTimeout,
        Duration depthRefresh,
        Duration registryInterval) {

    /** The default {@code name}. */
    public static final String DEFAULT_NAME = "default";
    /** The default {@code workers}. */
    public static final int DEFAULT_WORKERS = 8;
    /** The most {@code workers}. */
    public static final int MAX_WORKERS = 10_000;
    /** The default {@code pollers}. */
    public static final int DEFAULT_POLLERS = 1;
    /** The most {@code pollers}. */
    public static final int MAX_POLLERS = 64;
    /** The default {@code maxBatch}. */
    public static final int DEFAULT_MAX_BATCH = 32;
    /** The most {@code maxBatch}. */
    public static final int MAX_BATCH = 1_000;
    /**
     * The default {@code prefetch}: two default claims' worth, which only jobs short next to a claim
     * on a backlog ever fill (see {@link #prefetch()}).
     */
    public static final int DEFAULT_PREFETCH = 64;
    /** The most {@code prefetch}. */
    public static final int MAX_PREFETCH = 10_000;
    /** The default {@code idleBackoffMin}: 50 ms. */
    public static final Duration DEFAULT_IDLE_MIN = Duration.ofMillis(50);
    /** The default {@code idleBackoffMax}: 2 s. */
    public static final Duration DEFAULT_IDLE_MAX = Duration.ofSeconds(2);
    /** The default {@code drainTimeout}: 30 s. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** The default {@code depthRefresh}: 15 s. */
    public static final Duration DEFAULT_DEPTH_REFRESH = Duration.ofSeconds(15);
    /**
     * The longest idle back-off: 10 minutes; an idle poller without wake-ups must still notice work
     * enqueued elsewhere within minutes.
     */
    public static final Duration MAX_IDLE_BACKOFF = Duration.ofMinutes(10);
    /** The longest drain time-out: 1 hour, beyond any service manager's stop time-out. */
    public static final Duration MAX_DRAIN_TIMEOUT = Duration.ofHours(1);
    /** The longest queue-depth refresh interval: 1 hour; older gauges would mislead. */
    public static final Duration MAX_DEPTH_REFRESH = QueueMetrics.MAX_REFRESH;
    /** The default {@code registryInterval}: 10 s. */
    public static final Duration DEFAULT_REGISTRY_INTERVAL = Duration.ofSeconds(10);
    /** The shortest {@code registryInterval} other than zero: 100 ms. */
    public static final Duration MIN_REGISTRY_INTERVAL = Duration.ofMillis(100);
    /** The longest {@code registryInterval}: 10 minutes; a supervisor is judged gone only after three. */
    public static final Duration MAX_REGISTRY_INTERVAL = Duration.ofMinutes(10);

    /**
     * Checks every value against the rules above.
     *
     * @param name           the supervisor's name
     * @param workerId       the worker id, or null
     * @param workers        the worker slots
     * @param pollers        the poller threads
     * @param maxBatch       the most entries per claim round
     * @param prefetch       the jobs claimed ahead
     * @param idleBackoffMin the first idle wait
     * @param idleBackoffMax the idle wait's cap
     * @param drainTimeout   the wait for running jobs at close
     * @param depthRefresh   the gauges' refresh interval, or zero
     * @param registryInterval the registry's write interval, or zero
     * @throws ConfigurationException naming every invalid value
     */
    public SupervisorConfig {
        List<String> problems = new ArrayList<>();
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
            problems.add("name was " + (name == null ? "null" : "\"" + name + "\"")
                    + " but must be 1-64 letters, digits, '.', '_' or '-'");
        }
        between("workers", workers, 1, MAX_WORKERS, problems);
        between("pollers", pollers, 1, MAX_POLLERS, problems);
        between("maxBatch", maxBatch, 1, MAX_BATCH, problems);
        between("prefetch", prefetch, 0, MAX_PREFETCH, problems);
        int before = problems.size();
        Bounds.positive("idleBackoff min", idleBackoffMin, MAX_IDLE_BACKOFF, "", problems);
        Bounds.positive("idleBackoff max", idleBackoffMax, MAX_IDLE_BACKOFF, "", problems);
        if (problems.size() == before && idleBackoffMax.compareTo(idleBackoffMin) < 0) {
            problems.add("idleBackoff max was " + idleBackoffMax + " but must be at least the min (" + idleBackoffMin + ")");
        }
        Bounds.zeroOrPositive("drainTimeout", drainTimeout, "", MAX_DRAIN_TIMEOUT,
                "jobs still running then are interrupted and handed back to other workers", problems);
        Bounds.zeroOrPositive("depthRefresh", depthRefresh, "off", MAX_DEPTH_REFRESH, "", problems);
        int beforeRegistry = problems.size();
        Bounds.zeroOrPositive("registryInterval", registryInterval, "off", MAX_REGISTRY_INTERVAL, "", problems);
        if (problems.size() == beforeRegistry && !registryInterval.isZero()
                && registryInterval.compareTo(MIN_REGISTRY_INTERVAL) < 0) {
            problems.add("registryInterval was " + registryInterval + " but must be zero (off) or at least "
                    + MIN_REGISTRY_INTERVAL);
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
    }

    private static void between(String name, int value, int min, int max, List<String> problems) {
        if (value < min || value > max) {
            problems.add(name + " was " + value + " but must be between " + min + " and " + max);
        }
    }

    /** {@return a builder with every default set} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from this configuration} */
    public Builder toBuilder() {
        return new Builder().name(name).workerId(workerId).workers(workers).pollers(pollers).maxBatch(maxBatch)
                .prefetch(prefetch).idleBackoff(idleBackoffMin, idleBackoffMax).drainTimeout(drainTimeout).depthRefresh(depthRefresh)
                .registryInterval(registryInterval);
    }

    /**
     * The worker id leases are claimed under: {@code workerId}, or host-pid-name when it is null or
     * blank. Not resolved in the constructor: the record keeps what was set, so it reads back as
     * given; the supervisor resolves it once, when built.
     */
    String effectiveWorkerId() {
        if (workerId != null && !workerId.isBlank()) {
            return workerId;
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "unknown-host";
        }
        return host + "-" + ManagementFactory.getRuntimeMXBean().getPid() + "-" + name;
    }

    /** Builds a {@link SupervisorConfig}; see the record components for meanings, ranges and defaults. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private String workerId;
        private int workers = DEFAULT_WORKERS;
        private int pollers = DEFAULT_POLLERS;
        private int maxBatch = DEFAULT_MAX_BATCH;
        private int prefetch = DEFAULT_PREFETCH;
        private Duration idleBackoffMin = DEFAULT_IDLE_MIN;
        private Duration idleBackoffMax = DEFAULT_IDLE_MAX;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private Duration depthRefresh = DEFAULT_DEPTH_REFRESH;
        private Duration registryInterval = DEFAULT_REGISTRY_INTERVAL;

        private Builder() {
        }

        /**
         * Sets {@link SupervisorConfig#name()}; default {@value #DEFAULT_NAME}.
         *
         * @param name 1-64 letters, digits, '.', '_' or '-'
         * @return this builder
         */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#workerId()}; default null, for host-pid-name.
         *
         * @param workerId any text, or null
         * @return this builder
         */
        public Builder workerId(@Nullable String workerId) {
            this.workerId = workerId;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#workers()}; default {@value #DEFAULT_WORKERS}.
         *
         * @param workers 1 to {@value #MAX_WORKERS}
         * @return this builder
         */
        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#pollers()}; default {@value #DEFAULT_POLLERS}.
         *
         * @param pollers 1 to {@value #MAX_POLLERS}
         * @return this builder
         */
        public Builder pollers(int pollers) {
            this.pollers = pollers;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#maxBatch()}; default {@value #DEFAULT_MAX_BATCH}.
         *
         * @param maxBatch 1 to {@value #MAX_BATCH}
         * @return this builder
         */
        public Builder maxBatch(int maxBatch) {
            this.maxBatch = maxBatch;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#prefetch()}; default {@value #DEFAULT_PREFETCH}.
         *
         * @param prefetch 0 to {@value #MAX_PREFETCH}
         * @return this builder
         */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#idleBackoffMin()} and {@link SupervisorConfig#idleBackoffMax()}; default 50
         * ms and 2 s.
         *
         * @param min positive, at most {@code max}
         * @param max at most {@link #MAX_IDLE_BACKOFF}
         * @return this builder
         */
        public Builder idleBackoff(Duration min, Duration max) {
            this.idleBackoffMin = min;
            this.idleBackoffMax = max;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#drainTimeout()}; default 30 s.
         *
         * @param drainTimeout zero to {@link #MAX_DRAIN_TIMEOUT}
         * @return this builder
         */
        public Builder drainTimeout(Duration drainTimeout) {
            this.drainTimeout = drainTimeout;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#depthRefresh()}; default 15 s.
         *
         * @param depthRefresh zero (off) to {@link #MAX_DEPTH_REFRESH}
         * @return this builder
         */
        public Builder depthRefresh(Duration depthRefresh) {
            this.depthRefresh = depthRefresh;
            return this;
        }

        /**
         * Sets {@link SupervisorConfig#registryInterval()}; default 10 s.
         *
         * @param registryInterval zero (off), or {@link #MIN_REGISTRY_INTERVAL} to {@link #MAX_REGISTRY_INTERVAL}
         * @return this builder
         */
        public Builder registryInterval(Duration registryInterval) {
            this.registryInterval = registryInterval;
            return this;
        }

        /** The workers set so far, for checks that span the supervisor's handlers too. */
        int workers() {
            return workers;
        }

        /**
         * {@return the configuration}
         *
         * @throws ConfigurationException naming every invalid value
         */
        public SupervisorConfig build() {
            return new SupervisorConfig(name, workerId, workers, pollers, maxBatch, prefetch, idleBackoffMin, idleBackoffMax,
                    drainTimeout, depthRefresh, registryInterval);
        }
    }
}
