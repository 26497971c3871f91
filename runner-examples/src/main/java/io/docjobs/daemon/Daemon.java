package io.docjobs.daemon;


import io.docjobs.JobQueue;
import io.docjobs.QueueConfig;
import io.docjobs.Supervisor;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running daemon: the embedded database (if the configuration chose it), the queue,
 * the supervisor with the configured handlers, and the HTTP endpoints. {@link #close()} stops them
 * in reverse order, draining the supervisor first.
 */
final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    private final EmbeddedDatabase embedded;
    private final JobQueue queue;
    private final Supervisor supervisor;
    private final HttpEndpoints http;
    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gcMetrics;
    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();

    private Daemon(EmbeddedDatabase embedded, JobQueue queue, Supervisor supervisor, HttpEndpoints http,
            PrometheusMeterRegistry registry, JvmGcMetrics gcMetrics) {
        this.embedded = embedded;
        this.queue = queue;
        this.supervisor = supervisor;
        this.http = http;
        this.registry = registry;
        this.gcMetrics = gcMetrics;
    }

    /**
     * Starts everything; on failure, stops what was started and rethrows. The ports (HTTP, and the
     * embedded database's) are taken first, so that a clash stops the daemon before it claims a job.
     *
     * @param embeddedOverride a database to use instead of the configured one (the demo's), or null
     * @throws ConfigException naming http.port or embedded.port when a port cannot be used
     * @throws io.docjobs.ConfigurationException when the server refuses retryable writes (see {@link RetryableWrites})
     */
    static Daemon start(DaemonConfig config, Map<String, HandlerLoader.Loaded> handlers, EmbeddedDatabase embeddedOverride) {
        List<String> problems = new ArrayList<>();
        HttpEndpoints http = null;
        if (config.http().enabled()) {
            try {
                http = HttpEndpoints.bind(config.http().host(), config.http().port());
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
        }
        EmbeddedDatabase embedded = embeddedOverride;
        if (embedded == null && config.database().embedded()) {
            try {
                embedded = EmbeddedDatabase.start(config.embedded().dataFile(), config.embedded().port());
            } catch (ConfigException e) {
                problems.addAll(e.problems());
            }
        }
        if (!problems.isEmpty()) {
            if (http != null) {
                http.close();
            }
            if (embedded != null && embeddedOverride == null) {
                embedded.close();
            }
            throw new ConfigException(config.source(), problems);
        }
        JobQueue queue = null;
        Supervisor supervisor = null;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JvmGcMetrics gc = new JvmGcMetrics();
        try {
            String uri = embedded != null ? embedded.connectionString() : config.database().connectionString();
            // The embedded database has change streams too (EmbeddedDatabase: a bounded, in-memory oplog).
            QueueConfig queueConfig = queueConfig(config, uri);
            queue = JobQueue.connect(queueConfig);
            RetryableWrites.check(queue);
            registry.config().meterFilter(histogramsFor("docjobs.handler.duration", "docjobs.queue.wait"));
            new ClassLoaderMetrics().bindTo(registry);
            new JvmMemoryMetrics().bindTo(registry);
            gc.bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            new UptimeMetrics().bindTo(registry);
            new FileDescriptorMetrics().bindTo(registry);

            DaemonConfig.SupervisorSettings s = config.supervisor();
            Supervisor.Builder builder = Supervisor.builder(queue).name(s.name()).workers(s.workers()).pollers(s.pollers())
                    .maxBatch(s.maxBatch()).prefetch(s.prefetch()).idleBackoff(s.idleBackoffMin(), s.idleBackoffMax())
                    .drainTimeout(s.drainTimeout()).depthRefresh(s.depthRefresh())
                    .registryInterval(s.registryInterval()).meterRegistry(registry);
            handlers.values().forEach(h -> builder.handle(h.type(), h.handler(), h.options()));
            // The daemon fires every schedule of the queue, those the CLI added too.
            builder.scheduler(true);
            config.schedules().forEach(builder::schedule);
            handlers.values().forEach(h -> log.info("handler for \"{}\": {}", h.type(), h.origin()));
            supervisor = builder.build().start();
            if (http != null) {
                http.serve(registry, supervisor, queue, config.console().enabled() ? config.console() : null);
            }
            return new Daemon(embedded, queue, supervisor, http, registry, gc);
        } catch (RuntimeException | Error e) {
            if (supervisor != null) {
                supervisor.close();
            }
            if (http != null) {
                http.close();
            }
            if (queue != null) {
                queue.close();
            }
            if (embedded != null && embeddedOverride == null) {
                embedded.close();
            }
            gc.close();
            throw e;
        }
    }

    static QueueConfig queueConfig(DaemonConfig config, String connectionString) {
        return QueueConfig.builder().connectionString(connectionString).database(config.database().name())
                .collection(config.database().collection()).caFile(config.database().caFile())
                .operationTimeout(config.database().operationTimeout())
                .changeStreams(config.database().changeStreams())
                .defaultVisibilityTimeout(config.queue().defaultVisibilityTimeout())
                .defaultMaxAttempts(config.queue().defaultMaxAttempts()).build();
    }

    /** Latency timers publish histogram buckets, so dashboards can show percentiles across daemons. */
    /**
     * The histogram buckets of the handler and queue-wait timers, in seconds: a fixed, small set
     * from 5 ms to 1 h. Micrometer's own percentile histogram would publish about 70 buckets per
     * type and outcome, which costs Prometheus far more series than these questions need.
     */
    static final Duration[] TIMER_BUCKETS = {Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15),
            Duration.ofHours(1)};

    private static MeterFilter histogramsFor(String... names) {
        return new MeterFilter() {
            @Override
            public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
                for (String name : names) {
                    if (id.getName().equals(name)) {
                        return DistributionStatisticConfig.builder().serviceLevelObjectives(
                                java.util.Arrays.stream(TIMER_BUCKETS).mapToDouble(d -> d.toNanos()).toArray())
                                .build().merge(config);
                    }
                }
                return config;
            }
        };
    }

    JobQueue queue() {
        return queue;
    }

    Supervisor supervisor() {
        return supervisor;
    }

    PrometheusMeterRegistry registry() {
        return registry;
    }

    /** The HTTP port actually bound, or -1 when the endpoints are disabled. */
    int httpPort() {
        return http == null ? -1 : http.port();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        supervisor.close();
        if (http != null) {
            http.close();
        }
        queue.close();
        if (embedded != null) {
            embedded.close();
        }
        gcMetrics.close();
        registry.close();
    }
}
