package io.docjobs;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** {@link Backoff#exponential()}'s backoff; values checked by its builder. */
record ExponentialBackoff(Duration initial, double multiplier, double jitter, Duration max) implements Backoff {

    @Override
    public Duration delay(int attempt) {
        // In doubles: a high attempt number makes the power infinite, never a wrapped-around long.
        double base = Math.min(initial.toMillis() * Math.pow(multiplier, Math.max(attempt, 1) - 1), Long.MAX_VALUE);
        double spread = base * jitter;
        double drawn = base - spread + ThreadLocalRandom.current().nextDouble() * 2 * spread;
        // Jitter first, cap second: late retries wait exactly the cap rather than up to twice it.
        return Duration.ofMillis((long) Math.min(Math.max(1, drawn), max.toMillis()));
    }

    @Override
    public String toString() {
        return "exponential backoff from " + initial + ", x" + multiplier + " per attempt, +/-" + Math.round(jitter * 100)
                + "% jitter, at most " + max;
    }
}
