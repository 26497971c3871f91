package io.docjobs.internal;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a failing background operation once when it starts failing and once when it recovers,
 * instead of a stack trace per poll while the database is down.
 */
final class OutageLog {
    private final Logger log;
    private final String what;
    private final AtomicLong failingSinceNanos = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    OutageLog(Logger log, String what) {
        this.log = log;
        this.what = what;
    }

    void failed(Throwable error) {
        failures.incrementAndGet();
        if (failingSinceNanos.compareAndSet(0, System.nanoTime())) {
            log.warn("{} failed, backing off and retrying (logged again when it recovers): {}", what, error.toString());
        } else {
            log.debug("{} failed again: {}", what, error.toString());
        }
    }

    void succeeded() {
        long since = failingSinceNanos.getAndSet(0);
        if (since != 0) {
            log.info("{} works again after {} ms and {} failed calls", what, (System.nanoTime() - since) / 1_000_000,
                    failures.getAndSet(0));
        }
    }
}
