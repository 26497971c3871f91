package io.docjobs.daemon.console;

import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * One database read shared for a short while: however many browsers are open, the database sees
 * at most one read per {@link #TTL} (the counts of {@link io.docjobs.JobAdmin#stats()}, the
 * registry of {@link io.docjobs.JobAdmin#supervisors()}). Callers that arrive while a read is
 * under way wait for it instead of starting their own.
 *
 * @param <T> what is read
 */
final class Cached<T> {
    /** How long one read is served. */
    static final Duration TTL = Duration.ofSeconds(2);

    private final Supplier<T> read;
    private final LongSupplier nanoTime;
    private T value;
    private long readAtNanos;

    Cached(Supplier<T> read, LongSupplier nanoTime) {
        this.read = read;
        this.nanoTime = nanoTime;
    }

    synchronized T get() {
        long now = nanoTime.getAsLong();
        if (value == null || now - readAtNanos >= TTL.toNanos()) {
            value = read.get();
            readAtNanos = nanoTime.getAsLong();
        }
        return value;
    }

    /** Forgets the value, after a write action changed it. */
    synchronized void invalidate() {
        value = null;
    }
}
