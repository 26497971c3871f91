package io.docjobs.metrics;

import io.docjobs.JobAdmin;
import io.docjobs.QueueStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queue depth as gauges: {@code docjobs.queue.depth} (tags {@code queue}, {@code type},
 * {@code state} = ready, delayed, leased, expired, dead) and {@code docjobs.queue.oldest.ready.age}
 * (seconds; tags {@code queue}, {@code type}). Refreshed on an interval by one aggregate query, not
 * on every scrape, so many scrapers cannot load the database. Also the counter
 * {@code docjobs.entries.quarantined} (tag {@code queue}): malformed entries this queue instance
 * quarantined ({@link JobAdmin#quarantined()}). Bind it to your own registry, or let a
 * {@link io.docjobs.Supervisor} do it. Call {@link #close()} to stop refreshing.
 */
public final class QueueMetrics implements MeterBinder, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(QueueMetrics.class);
    private static final List<String> STATES = List.of("ready", "delayed", "leased", "expired", "dead");

    /** The longest refresh interval: 1 hour; older gauges would mislead. */
    public static final Duration MAX_REFRESH = Duration.ofHours(1);

    private final JobAdmin queue;
    private final Duration refresh;
    private final AtomicReference<QueueStats> latest = new AtomicReference<>();
    private final Map<String, Boolean> registeredTypes = new ConcurrentHashMap<>();
    private volatile MeterRegistry registry;
    private ScheduledExecutorService refresher;

    /**
     * Gauges for a queue; nothing is read until {@link #bindTo} starts the refresh thread.
     *
     * @param queue   the queue to count, one aggregate query per refresh
     * @param refresh the refresh interval: positive, at most {@link #MAX_REFRESH}
     * @throws IllegalArgumentException if {@code refresh} is out of range
     */
    public QueueMetrics(JobAdmin queue, Duration refresh) {
        if (refresh == null || refresh.isNegative() || refresh.isZero() || refresh.compareTo(MAX_REFRESH) > 0) {
            throw new IllegalArgumentException("refresh was " + refresh + " but must be positive and at most " + MAX_REFRESH);
        }
        this.queue = queue;
        this.refresh = refresh;
    }

    @Override
    public synchronized void bindTo(MeterRegistry meterRegistry) {
        if (refresher != null) {
            throw new IllegalStateException("QueueMetrics for " + queue.name() + " is already bound");
        }
        this.registry = meterRegistry;
        FunctionCounter.builder("docjobs.entries.quarantined", queue, JobAdmin::quarantined)
                .tag("queue", queue.name())
                .description("malformed entries quarantined as dead letters instead of being run").register(meterRegistry);
        refresher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "docjobs-queue-metrics-" + queue.name());
            thread.setDaemon(true);
            return thread;
        });
        refresher.scheduleWithFixedDelay(this::refresh, 0, refresh.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Reads the counts now and updates the gauges; called by the refresher. */
    public void refresh() {
        try {
            QueueStats stats = queue.stats();
            latest.set(stats);
            stats.byType().forEach(row -> register(row.type()));
        } catch (RuntimeException e) {
            log.debug("queue depth refresh of {} failed: {}", queue.name(), e.toString());
        }
    }

    private void register(String type) {
        MeterRegistry target = registry;
        if (target == null || registeredTypes.putIfAbsent(type, Boolean.TRUE) != null) {
            return;
        }
        for (String state : STATES) {
            Gauge.builder("docjobs.queue.depth", latest, ref -> depth(ref.get(), type, state))
                    .tag("queue", queue.name()).tag("type", type).tag("state", state)
                    .description("entries in the queue by type and state").register(target);
        }
        Gauge.builder("docjobs.queue.oldest.ready.age", latest, ref -> ref.get() == null ? 0
                        : ref.get().forType(type).oldestReadyAge().toMillis() / 1000.0)
                .tag("queue", queue.name()).tag("type", type).baseUnit("seconds")
                .description("how long the oldest ready entry has waited").register(target);
    }

    private static double depth(QueueStats stats, String type, String state) {
        if (stats == null) {
            return 0;
        }
        QueueStats.TypeStats row = stats.forType(type);
        return switch (state) {
            case "ready" -> row.ready();
            case "delayed" -> row.delayed();
            case "leased" -> row.leased();
            case "expired" -> row.expiredLeases();
            default -> row.dead();
        };
    }

    @Override
    public synchronized void close() {
        if (refresher != null) {
            refresher.shutdownNow();
        }
    }
}
