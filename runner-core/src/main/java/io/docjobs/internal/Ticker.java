package io.docjobs.internal;

/**
 * Monotonic time in nanoseconds, for time-outs, heartbeats and back-off: the seam that lets tests
 * step the engine's time by hand. Only differences between readings mean anything.
 */
@FunctionalInterface
interface Ticker {
    /** The system's monotonic clock ({@link System#nanoTime()}). */
    Ticker SYSTEM = System::nanoTime;

    long nanos();
}
