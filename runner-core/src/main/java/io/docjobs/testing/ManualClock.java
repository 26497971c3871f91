package io.docjobs.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Clock} that only moves when told to, for tests that step through lease expiry without
 * waiting. Thread-safe. Pair it with {@link io.docjobs.QueueConfig.Builder#serverClockSync(Duration)
 * serverClockSync(Duration.ZERO)} so the queue does not re-align it to the server's clock.
 */
public final class ManualClock extends Clock {
    private final AtomicReference<Instant> now;
    private final ZoneId zone;

    /**
     * A clock in UTC that stands still until moved.
     *
     * @param start the time it shows
     */
    public ManualClock(Instant start) {
        this(new AtomicReference<>(given(start, "start")), ZoneOffset.UTC);
    }

    private ManualClock(AtomicReference<Instant> now, ZoneId zone) {
        this.now = now;
        this.zone = zone;
    }

    /**
     * Moves the clock forward, atomically.
     *
     * @param duration how far; negative moves it backward
     */
    public void advance(Duration duration) {
        Duration step = given(duration, "duration");
        now.updateAndGet(instant -> instant.plus(step));
    }

    /**
     * Sets the clock.
     *
     * @param instant the time it shows from now on
     */
    public void set(Instant instant) {
        now.set(given(instant, "instant"));
    }

    /** Bad arguments are {@link IllegalArgumentException}s, as everywhere in docjobs. */
    private static <T> T given(@Nullable T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " was null but must be given");
        }
        return value;
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    @Override
    public ZoneId getZone() {
        return zone;
    }

    /** A view in {@code newZone} that moves with this clock. */
    @Override
    public Clock withZone(ZoneId newZone) {
        return new ManualClock(now, newZone);
    }
}
