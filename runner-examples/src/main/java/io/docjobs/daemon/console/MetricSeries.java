package io.docjobs.daemon.console;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The overview's charts: every {@link #INTERVAL} the rates of this daemon's own meters (jobs
 * finished successfully and not, and the mean queue wait of the jobs claimed), the last
 * {@link #POINTS} of them. Read from the in-process Micrometer registry, so a sample costs no
 * database call; it shows this daemon only, not the fleet.
 */
final class MetricSeries implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricSeries.class);
    /** Time between samples. */
    static final Duration INTERVAL = Duration.ofSeconds(2);
    /** Samples kept: five minutes. */
    static final int POINTS = 150;

    /**
     * One sample.
     *
     * @param epochMillis   when it was taken
     * @param succeeded     jobs finished successfully per second since the sample before
     * @param failed        attempts finished otherwise (retry, dead, timeout, lease lost, abandoned) per second
     * @param queueWaitMs   mean time from visible to claimed of the jobs claimed since, or -1 if none was
     */
    record Point(long epochMillis, double succeeded, double failed, double queueWaitMs) {
    }

    private final MeterRegistry registry;
    private final LongSupplier nanoTime;
    private final LongSupplier epochMillis;
    private final ArrayDeque<Point> points = new ArrayDeque<>();
    private ScheduledExecutorService sampler;
    private Totals last;

    private record Totals(long nanos, double succeeded, double failed, long waits, double waitMs) {
    }

    MetricSeries(MeterRegistry registry, LongSupplier nanoTime, LongSupplier epochMillis) {
        this.registry = registry;
        this.nanoTime = nanoTime;
        this.epochMillis = epochMillis;
    }

    /** Starts sampling on a daemon thread of its own. */
    void start() {
        sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "docjobs-console-sampler");
            thread.setDaemon(true);
            return thread;
        });
        sampler.scheduleAtFixedRate(() -> {
            try {
                sample();
            } catch (RuntimeException e) {
                log.warn("console: sampling this daemon's meters failed; the charts skip this point", e);
            }
        }, 0, INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Takes one sample now (the first only sets the baseline). */
    synchronized void sample() {
        Totals now = totals();
        if (last != null && now.nanos() > last.nanos()) {
            double seconds = (now.nanos() - last.nanos()) / 1e9;
            long waits = now.waits() - last.waits();
            points.addLast(new Point(epochMillis.getAsLong(), (now.succeeded() - last.succeeded()) / seconds,
                    (now.failed() - last.failed()) / seconds, waits > 0 ? (now.waitMs() - last.waitMs()) / waits : -1));
            while (points.size() > POINTS) {
                points.removeFirst();
            }
        }
        last = now;
    }

    synchronized List<Point> points() {
        return new ArrayList<>(points);
    }

    private Totals totals() {
        double succeeded = 0;
        double failed = 0;
        for (Counter counter : registry.find("docjobs.jobs.finished").counters()) {
            if ("success".equals(counter.getId().getTag("outcome"))) {
                succeeded += counter.count();
            } else {
                failed += counter.count();
            }
        }
        long waits = 0;
        double waitMs = 0;
        for (Timer timer : registry.find("docjobs.queue.wait").timers()) {
            waits += timer.count();
            waitMs += timer.totalTime(TimeUnit.MILLISECONDS);
        }
        return new Totals(nanoTime.getAsLong(), succeeded, failed, waits, waitMs);
    }

    @Override
    public void close() {
        if (sampler != null) {
            sampler.shutdownNow();
        }
    }
}
