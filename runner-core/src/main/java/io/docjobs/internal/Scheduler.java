package io.docjobs.internal;

import io.docjobs.Schedules;
import io.docjobs.Schedules.Firing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fires the queue's due schedules once per tick ({@link Schedules#fireDue}), on its own thread, and
 * counts what happened. The exactly-once protocol is the store's; this loop only has to keep going:
 * each round is guarded, a failing database is logged once per outage.
 */
final class Scheduler {
    private static final Logger log = LoggerFactory.getLogger(Scheduler.class);

    static final String FIRINGS = "docjobs.schedule.firings";
    static final String MISFIRES = "docjobs.schedule.misfires";
    static final String LAG = "docjobs.schedule.lag";

    private final Schedules schedules;
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
    Scheduler(Schedules schedules, String owner, Duration tick, MeterRegistry registry, String queue,
            List<String> known) {
        this.schedules = schedules;
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
            tickOnce();
            try {
                stopSignal.awaitChange(generation, tickNanos);
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
