package io.docjobs;

import java.time.Duration;

/** {@link Backoff#fixed(Duration)}'s backoff; its delay checked there. */
record FixedBackoff(Duration interval) implements Backoff {

    @Override
    public Duration delay(int attempt) {
        return interval;
    }

    @Override
    public String toString() {
        return "fixed backoff of " + interval;
    }
}
