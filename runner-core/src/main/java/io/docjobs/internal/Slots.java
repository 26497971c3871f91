package io.docjobs.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Worker slots: one global semaphore (worker threads) and one per type with a concurrency limit.
 * Pollers reserve slots before claiming, so a claimed entry never waits in a local buffer while
 * its lease runs, and no type ever runs more jobs than its limit.
 */
final class Slots {
    private final Semaphore global;
    private final Map<String, Semaphore> limited = new LinkedHashMap<>();
    private final List<String> unlimited = new ArrayList<>();
    private final Signal changes = new Signal();

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
            changes.signal();
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
        changes.signal();
    }

    /** Signalled whenever a slot frees; pollers wait on it. */
    Signal changes() {
        return changes;
    }
}
