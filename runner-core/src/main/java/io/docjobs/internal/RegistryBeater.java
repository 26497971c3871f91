package io.docjobs.internal;

import io.docjobs.SupervisorInfo;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the supervisor's registry document once per interval, on its own thread, off the claim
 * path: one write each time, and one more at stop. A failing write is logged once per outage and
 * counted (the count goes into the next document that gets through); it never stops the
 * supervisor, whose work does not depend on the registry.
 */
final class RegistryBeater {
    private static final Logger log = LoggerFactory.getLogger(RegistryBeater.class);

    private final Engine.Registry registry;
    private final Engine.Beat template;
    private final long intervalNanos;
    private final IntSupplier inFlight;
    private final SupervisorMetrics metrics;
    private final OutageLog outage;
    private final Signal stopSignal = new Signal();
    private final AtomicLong failures = new AtomicLong();
    private volatile boolean running = true;
    /** Until a write got through: the next one is the first, which sets the start time. */
    private volatile boolean first = true;

    /** @param template the document's fixed part: the supervisor's identity, types, workers and interval */
    RegistryBeater(Engine.Registry registry, Engine.Beat template, IntSupplier inFlight, SupervisorMetrics metrics) {
        this.registry = registry;
        this.template = template;
        this.intervalNanos = Nanos.of(template.interval());
        this.inFlight = inFlight;
        this.metrics = metrics;
        this.outage = new OutageLog(log, "writing the registry document of supervisor " + template.workerId());
    }

    void loop() {
        while (running) {
            long generation = stopSignal.generation();
            beatOnce();
            try {
                stopSignal.awaitChange(generation, intervalNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One write of the document as it is now; whether it got through. Never throws. */
    boolean beatOnce() {
        return write(false);
    }

    /** Stops the loop (the caller joins its thread); {@link #stopped()} then writes the last document. */
    void stop() {
        running = false;
        stopSignal.signal();
    }

    /** The last write: the document marked stopped. Never throws. */
    boolean stopped() {
        return write(true);
    }

    /** {@return the writes that failed so far} */
    long failures() {
        return failures.get();
    }

    private boolean write(boolean stopped) {
        Engine.Beat beat = new Engine.Beat(template.workerId(), template.name(), template.host(), template.version(),
                template.types(), template.workers(), inFlight.getAsInt(), template.interval(), first, stopped,
                metrics.counts(failures.get()));
        try {
            registry.write(beat);
            first = false;
            outage.succeeded();
            return true;
        } catch (RuntimeException e) {
            failures.incrementAndGet();
            outage.failed(e);
            return false;
        }
    }

    /** The fixed part of the document. */
    static Engine.Beat template(String workerId, String name, String host, String version, List<String> types,
            int workers, Duration interval) {
        return new Engine.Beat(workerId, name, host, version, types, workers, 0, interval, true, false,
                SupervisorInfo.Counts.NONE);
    }
}
