package io.docjobs.internal;

import io.docjobs.Schedules;
import io.docjobs.Schedules.Firing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires the queue's due schedules ({@link Schedules#fireDue}) on its own thread, and counts what
 * happened: once per tick while times are due, otherwise asleep until the next time, for at most
 * {@link #IDLE_TICKS} ticks so that schedules defined by other processes are seen. The exactly-once
 * protocol is the store's; this loop only has to keep going: each round is guarded, a failing
 * database is logged once per outage.
 */
final class Scheduler {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    static final String FIRINGS = "docjobs.schedule.firings";
    static final String MISFIRES = "docjobs.schedule.misfires";
    static final String LAG = "docjobs.schedule.lag";
    /**
     * The longest an idle scheduler waits, in ticks: it bounds how late the first time of a
     * schedule another process defined can fire (10 s at the default tick), at two round trips a wait.
     */
    static final int IDLE_TICKS = 10;

    private final Schedules schedules;
    private final Supplier<Instant> now;
    private final String owner;
    private final long tickNanos;
    private final MeterRegistry registry;
    private final Tags queueTags;
    private final OutageLog outage;
    private final Signal stopSignal = new Signal();
    private volatile boolean running = true;

    /**
     * @param known the ids of the schedules known at start, whose meters exist at zero from the start
     */
    Scheduler(Schedules schedules, Supplier<Instant> now, String owner, Duration tick, MeterRegistry registry,
            String queue, List<String> known) {
        this.schedules = schedules;
        this.now = now;
        this.owner = owner;
        this.tickNanos = Nanos.of(tick);
        this.registry = registry;
        this.queueTags = Tags.of("queue", queue);
        this.outage = new OutageLog(log, "firing the schedules of " + queue);
        for (String id : known) {
            for (Firing.Outcome outcome : Firing.Outcome.values()) {
                firings(id, outcome);
            }
            misfires(id);
            lag(id);
        }
    }

    void loop() {
        while (running) {
            long generation = stopSignal.generation();
            long wait = waitAfter(tickOnce());
            try {
                stopSignal.awaitChange(generation, wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One round: fires what is due and counts it; never throws. */
    List<Firing> tickOnce() {
        try {
            List<Firing> fired = schedules.fireDue(owner);
            outage.succeeded();
            for (Firing firing : fired) {
                firings(firing.scheduleId(), firing.outcome()).increment();
                if (firing.outcome() == Firing.Outcome.ENQUEUED) {
                    lag(firing.scheduleId()).record(firing.lag());
                }
                if (firing.missed() > 0) {
                    misfires(firing.scheduleId()).increment(firing.missed());
                }
                if (firing.outcome() != Firing.Outcome.ENQUEUED || firing.missed() > 0) {
                    log.info("schedule {}: {} at {} ({} missed)", firing.scheduleId(),
                            firing.outcome().name().toLowerCase(Locale.ROOT), firing.time(), firing.missed());
                }
            }
            return fired;
        } catch (RuntimeException e) {
            outage.failed(e);
            return List.of();
        }
    }

    /**
     * How long to wait after a round that fired {@code fired}: a tick if it fired anything (more
     * may be due) or the next time is unknown (the database failed), else until the next time, at
     * least a tick and at most {@link #IDLE_TICKS}.
     */
    long waitAfter(List<Firing> fired) {
        if (!fired.isEmpty()) {
            return tickNanos;
        }
        long idle = tickNanos * IDLE_TICKS;
        try {
            Optional<Instant> next = schedules.nextDue();
            if (next.isEmpty()) {
                return idle;
            }
            Duration until = Duration.between(now.get(), next.get());
            return until.compareTo(Duration.ofNanos(idle)) >= 0 ? idle : Math.max(tickNanos, until.toNanos());
        } catch (RuntimeException e) {
            outage.failed(e);
            return tickNanos;
        }
    }

    void stop() {
        running = false;
        stopSignal.signal();
    }

    private Counter firings(String schedule, Firing.Outcome outcome) {
        return Counter.builder(FIRINGS).tags(queueTags).tag("schedule", schedule)
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
                .description("times of schedules: enqueued, or skipped as misfires or overlaps").register(registry);
    }

    private Counter misfires(String schedule) {
        return Counter.builder(MISFIRES).tags(queueTags).tag("schedule", schedule)
                .description("times of schedules that did not fire: missed by more than the misfire threshold and"
                        + " skipped, or folded into one firing").register(registry);
    }

    private Timer lag(String schedule) {
        return Timer.builder(LAG).tags(queueTags).tag("schedule", schedule)
                .description("from a schedule's time to the enqueue of its job").register(registry);
    }
}
