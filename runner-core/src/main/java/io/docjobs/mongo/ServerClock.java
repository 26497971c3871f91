package io.docjobs.mongo;

import com.mongodb.client.MongoDatabase;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database time: the server's clock as read at the last sync (from {@code localTime} in the
 * {@code isMaster} reply), carried forward by a monotonic clock and re-read every sync interval.
 *
 * <p>Why the server's clock: lease deadlines are compared across hosts. If each worker used its
 * own clock, a host running a minute fast would see every lease expire a minute early and steal
 * jobs that are still running. Why a monotonic clock between syncs: the local wall clock can jump
 * (an NTP step, a VM resumed after a pause), and such a jump must not move lease deadlines.
 *
 * <p>Database time does not go back across a re-sync by up to {@link #HOLD_LIMIT}: it holds still
 * until the new reading catches up. A larger step back is followed (with a warning), since
 * agreeing with the other hosts matters more than monotonicity. With a sync interval of zero,
 * database time is the configured clock, unchanged.
 */
final class ServerClock {
    private static final Logger log = LoggerFactory.getLogger(ServerClock.class);
    private static final Duration LARGE_SKEW = Duration.ofSeconds(1);
    /**
     * The largest step back a re-sync absorbs by holding still. Half a round trip plus the drift
     * of a monotonic clock over one interval is milliseconds, so more means the server's clock moved.
     */
    static final Duration HOLD_LIMIT = Duration.ofSeconds(1);

    private final Clock clock;
    private final Supplier<Optional<Instant>> serverTime;
    private final LongSupplier nanoTime;
    private final boolean syncing;
    private final long syncIntervalNanos;
    /** Null until the first sync attempt. */
    private volatile Anchor anchor;
    private volatile long lastAttemptNanos;
    private volatile Duration offset = Duration.ZERO;
    private volatile boolean warnedNoLocalTime;

    /**
     * A server instant and the monotonic reading taken at that instant, and the latest instant
     * derived from them (kept per anchor so a reader still on the previous anchor cannot raise
     * the floor of the new one).
     */
    private record Anchor(Instant time, long nanos, AtomicReference<Instant> latest) {
        Instant at(long nowNanos) {
            // nanoTime differences are valid across its wrap-around; only a negative one is bogus.
            return plusSaturated(time, Math.max(0, nowNanos - nanos));
        }
    }

    ServerClock(Clock clock, MongoDatabase admin, Duration syncInterval) {
        this(clock, () -> admin.runCommand(new Document("isMaster", 1)).get("localTime") instanceof Date time
                ? Optional.of(time.toInstant()) : Optional.empty(), System::nanoTime, syncInterval);
    }

    /**
     * @param serverTime the server's current time, empty if it does not report one
     * @param nanoTime   a monotonic time source in nanoseconds, like {@link System#nanoTime()}
     */
    ServerClock(Clock clock, Supplier<Optional<Instant>> serverTime, LongSupplier nanoTime, Duration syncInterval) {
        this.clock = clock;
        this.serverTime = serverTime;
        this.nanoTime = nanoTime;
        this.syncing = !syncInterval.isZero();
        this.syncIntervalNanos = saturatedNanos(syncInterval);
    }

    /** An interval too long for a long of nanoseconds (some 292 years) is as good as never. */
    private static long saturatedNanos(Duration interval) {
        try {
            return interval.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    Instant now() {
        if (!syncing) {
            return clock.instant();
        }
        if (anchor == null || due()) {
            try {
                sync();
            } catch (RuntimeException e) {
                keepAnchorAfterFailedSync(e);
            }
        }
        Anchor current = anchor;
        Instant time = current.at(nanoTime.getAsLong());
        return current.latest.accumulateAndGet(time, (a, b) -> a.isAfter(b) ? a : b);
    }

    Duration offset() {
        return offset;
    }

    /**
     * Reads the server's clock (one round trip) unless that was done within the interval; a no-op
     * when syncing is off. Throws what the server read throws.
     */
    synchronized void sync() {
        if (!syncing || anchor != null && !due()) {
            return; // off, or another thread synced while this one waited for the lock
        }
        Instant localBefore = clock.instant();
        long startNanos = nanoTime.getAsLong();
        Optional<Instant> reported = serverTime.get();
        long endNanos = nanoTime.getAsLong();
        long halfTripNanos = Math.max(0, endNanos - startNanos) / 2;
        lastAttemptNanos = endNanos;
        Instant localAtReading = plusSaturated(localBefore, halfTripNanos);
        Instant time;
        if (reported.isPresent()) {
            time = reported.get();
            Duration measured = Duration.between(localAtReading, time);
            if (measured.abs().compareTo(LARGE_SKEW) > 0 && !measured.equals(offset)) {
                log.warn("this host's clock differs from the database server's by {} (round trip {} ms); docjobs uses"
                        + " the server's time for leases, but check NTP on this host", measured,
                        2 * halfTripNanos / 1_000_000);
            }
            offset = measured;
        } else {
            if (!warnedNoLocalTime) {
                warnedNoLocalTime = true;
                log.warn("the database server does not report localTime; lease deadlines use this host's clock,"
                        + " so keep host clocks synchronised (NTP)");
            }
            time = localAtReading;
            offset = Duration.ZERO;
        }
        anchor = next(time, startNanos + halfTripNanos);
    }

    private synchronized void keepAnchorAfterFailedSync(RuntimeException e) {
        lastAttemptNanos = nanoTime.getAsLong();
        if (anchor == null) {
            // Only reachable if now() is called before a successful sync(); opening a queue syncs first.
            anchor = next(clock.instant(), lastAttemptNanos);
        }
        // The monotonic clock drifts by parts per million: one more interval on the old reading is fine.
        log.warn("could not re-read the database server's clock, extrapolating the last reading: {}",
                OperationRunner.describe(e));
    }

    private boolean due() {
        return nanoTime.getAsLong() - lastAttemptNanos > syncIntervalNanos;
    }

    private Anchor next(Instant time, long nanos) {
        Anchor previous = anchor;
        Instant floor = time;
        if (previous != null) {
            Instant returned = previous.latest.get();
            if (returned.isAfter(time)) {
                Duration back = Duration.between(time, returned);
                if (back.compareTo(HOLD_LIMIT) <= 0) {
                    floor = returned;
                } else {
                    log.warn("the database server's clock went back by {} since the last reading; following it", back);
                }
            }
        }
        return new Anchor(time, nanos, new AtomicReference<>(floor));
    }

    private static Instant plusSaturated(Instant instant, long nanos) {
        try {
            return instant.plusNanos(nanos);
        } catch (DateTimeException | ArithmeticException e) {
            return nanos < 0 ? Instant.MIN : Instant.MAX;
        }
    }
}
