package io.docjobs.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Worker slots: one global semaphore (worker threads) and one per type with a concurrency limit.
 * Pollers reserve slots before claiming, so a claimed entry never waits in a local buffer while
 * its lease runs, and no type ever runs more jobs than its limit.
 */
final class Slots {
    private final Semaphore global;
    private final Map<String, Semaphore> limited = new LinkedHashMap<>();
    private final List<String> unlimited = new ArrayList<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long generation;

    Slots(int workers, List<Registration> registrations) {
        this.global = new Semaphore(workers);
        for (Registration registration : registrations) {
            int limit = registration.options().concurrency();
            if (limit > 0 && limit < workers) {
                limited.put(registration.type(), new Semaphore(limit));
            } else {
                unlimited.add(registration.type());
            }
        }
    }

    /** Slots reserved for one claim round: the global count and, per limited type, its own count. */
    final class Reservation {
        final int total;
        /** Types that can take all {@code total} entries: claimed together, in priority order. */
        final List<String> fullTypes = new ArrayList<>();
        /** Limited types with fewer than {@code total} free slots: claimed separately, up to their count. */
        final Map<String, Integer> partialTypes = new LinkedHashMap<>();
        private int globalLeft;
        private final Map<String, Integer> typeLeft = new LinkedHashMap<>();

        private Reservation(int total) {
            this.total = total;
            this.globalLeft = total;
        }

        boolean isEmpty() {
            return total == 0 || fullTypes.isEmpty() && partialTypes.isEmpty();
        }

        /** Takes one reserved slot for a job of {@code type}; the job gives it back through {@link Slots#free}. */
        void consume(String type) {
            globalLeft--;
            typeLeft.computeIfPresent(type, (t, left) -> left - 1);
        }

        /** Returns whatever this round did not use. */
        void releaseUnused() {
            global.release(globalLeft);
            typeLeft.forEach((type, left) -> limited.get(type).release(left));
            globalLeft = 0;
            typeLeft.clear();
            signal();
        }
    }

    Reservation reserve(int max) {
        int total = 0;
        while (total < max && global.tryAcquire()) {
            total++;
        }
        Reservation reservation = new Reservation(total);
        if (total == 0) {
            return reservation;
        }
        reservation.fullTypes.addAll(unlimited);
        for (Map.Entry<String, Semaphore> entry : limited.entrySet()) {
            int got = 0;
            while (got < total && entry.getValue().tryAcquire()) {
                got++;
            }
            if (got > 0) {
                reservation.typeLeft.put(entry.getKey(), got);
                if (got == total) {
                    reservation.fullTypes.add(entry.getKey());
                } else {
                    reservation.partialTypes.put(entry.getKey(), got);
                }
            }
        }
        if (reservation.isEmpty()) {
            reservation.releaseUnused();
        }
        return reservation;
    }

    /** A job of {@code type} finished or was given up: its slots are free again. */
    void free(String type) {
        Semaphore semaphore = limited.get(type);
        if (semaphore != null) {
            semaphore.release();
        }
        global.release();
        signal();
    }

    int freeGlobal() {
        return global.availablePermits();
    }

    long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes everything waiting in {@link #awaitChange}. */
    void signal() {
        lock.lock();
        try {
            generation++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until something changed since {@code seenGeneration} (a slot freed, a wake-up) or the time passed. */
    void awaitChange(long seenGeneration, long nanos) throws InterruptedException {
        lock.lock();
        try {
            long left = nanos;
            while (generation == seenGeneration && left > 0) {
                left = changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    static long millisToNanos(long millis) {
        return TimeUnit.MILLISECONDS.toNanos(millis);
    }
}
