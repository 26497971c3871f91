package io.docjobs.daemon;

import io.docjobs.JobQueue;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the database answers, for a readiness probe that must answer at once: a background
 * thread pings every {@link #INTERVAL}, and the database counts as up while the last good ping is
 * at most {@link #MAX_AGE} old. A probe never waits for the database, and a hanging database
 * turns readiness off within {@code MAX_AGE} instead of after the operation time-out.
 */
final class DatabaseReadiness implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DatabaseReadiness.class);
    static final Duration INTERVAL = Duration.ofSeconds(1);
    static final Duration MAX_AGE = Duration.ofSeconds(3);

    private final JobQueue queue;
    private final LongSupplier nanoTime;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long lastGoodNanos;
    private volatile boolean everGood;
    private volatile String lastError = "not checked yet";

    private DatabaseReadiness(JobQueue queue, LongSupplier nanoTime) {
        this.queue = queue;
        this.nanoTime = nanoTime;
        this.thread = new Thread(this::loop, "docjobs-readiness");
        thread.setDaemon(true);
    }

    static DatabaseReadiness start(JobQueue queue) {
        DatabaseReadiness readiness = new DatabaseReadiness(queue, System::nanoTime);
        readiness.checkOnce();
        readiness.thread.start();
        return readiness;
    }

    /** For tests: no thread, pings only through {@link #checkOnce}. */
    static DatabaseReadiness manual(JobQueue queue, LongSupplier nanoTime) {
        return new DatabaseReadiness(queue, nanoTime);
    }

    private void loop() {
        while (running) {
            LockSupport.parkNanos(INTERVAL.toNanos());
            if (running) {
                checkOnce();
            }
        }
    }

    /** One ping; records when it last worked. */
    void checkOnce() {
        try {
            queue.ping();
            if (!everGood || lastError != null) {
                log.debug("database of {} answers", queue.name());
            }
            lastGoodNanos = nanoTime.getAsLong();
            everGood = true;
            lastError = null;
        } catch (RuntimeException e) {
            lastError = e.getMessage();
        }
    }

    boolean isUp() {
        return everGood && nanoTime.getAsLong() - lastGoodNanos <= MAX_AGE.toNanos();
    }

    /** Milliseconds since the last good ping; -1 if none yet. */
    long lastGoodAgeMillis() {
        return everGood ? TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - lastGoodNanos) : -1;
    }

    /** Why the last ping failed; null if it worked. */
    String lastError() {
        return lastError;
    }

    @Override
    public void close() {
        running = false;
        LockSupport.unpark(thread);
    }
}
