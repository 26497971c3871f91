package io.docjobs.mongo;

import com.mongodb.client.MongoDatabase;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Database time: the local clock plus an offset to the server's clock, measured from the server's
 * {@code localTime} in the {@code isMaster} reply and re-measured every sync interval.
 *
 * <p>Why: lease deadlines are compared across hosts. If each worker used its own clock, a host
 * running a minute fast would see every lease expire a minute early and steal jobs that are still
 * running. Aligned to one server clock, hosts agree to within half a round trip plus the local
 * drift between syncs (both typically milliseconds).
 */
final class ServerClock {
    private static final Logger log = LoggerFactory.getLogger(ServerClock.class);
    private static final Duration LARGE_SKEW = Duration.ofSeconds(1);

    private final Clock clock;
    private final MongoDatabase admin;
    private final Duration syncInterval;
    private volatile Duration offset = Duration.ZERO;
    private volatile long lastSyncNanos;
    private volatile boolean warnedNoLocalTime;

    ServerClock(Clock clock, MongoDatabase admin, Duration syncInterval) {
        this.clock = clock;
        this.admin = admin;
        this.syncInterval = syncInterval;
    }

    Instant now() {
        if (!syncInterval.isZero() && System.nanoTime() - lastSyncNanos > syncInterval.toNanos()) {
            try {
                sync();
            } catch (RuntimeException e) {
                // Keep the old offset: drift over one more interval is far smaller than any lease.
                lastSyncNanos = System.nanoTime();
                log.warn("could not re-measure the database clock offset, keeping {}: {}", offset,
                        OperationRunner.describe(e));
            }
        }
        return clock.instant().plus(offset);
    }

    Duration offset() {
        return offset;
    }

    /** Measures the offset now (one round trip); a no-op when syncing is off. */
    synchronized void sync() {
        if (syncInterval.isZero()) {
            return;
        }
        if (lastSyncNanos != 0 && System.nanoTime() - lastSyncNanos <= syncInterval.toNanos()) {
            return; // another thread synced while this one waited for the lock
        }
        Instant before = clock.instant();
        long startNanos = System.nanoTime();
        Document reply = admin.runCommand(new Document("isMaster", 1));
        long rttNanos = System.nanoTime() - startNanos;
        Object localTime = reply.get("localTime");
        lastSyncNanos = System.nanoTime();
        if (!(localTime instanceof Date serverTime)) {
            if (!warnedNoLocalTime) {
                warnedNoLocalTime = true;
                log.warn("the database server does not report localTime; lease deadlines use this host's clock,"
                        + " so keep host clocks synchronised (NTP)");
            }
            return;
        }
        Instant midpoint = before.plusNanos(rttNanos / 2);
        Duration measured = Duration.between(midpoint, serverTime.toInstant());
        if (measured.abs().compareTo(LARGE_SKEW) > 0 && !measured.equals(offset)) {
            log.warn("this host's clock differs from the database server's by {} (round trip {} ms); docjobs uses"
                    + " the server's time for leases, but check NTP on this host", measured, rttNanos / 1_000_000);
        }
        offset = measured;
    }
}
