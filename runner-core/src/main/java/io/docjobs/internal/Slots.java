package io.docjobs.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Claim slots: a global count (jobs held at once: the workers plus the prefetch) and, per type with
 * a concurrency limit, its own count. Pollers reserve slots before claiming, so no more entries
 * are claimed than can run or wait their turn, and no type ever holds (so never runs) more jobs
 * than its limit.
 *
 * <p>All counts change under one lock, so a reservation is all or nothing: a poller that finds no
 * room takes nothing and hands nothing back (handing back would wake pollers, itself included, and
 * spin). Wake-ups are the engine's business ({@link Wakeups}).
 */
final class Slots {
    private final List<String> types;
    private final Map<String, Integer> limits = new LinkedHashMap<>();
    private final Map<String, Integer> typeFree = new LinkedHashMap<>();
    private final int capacity;
    private int globalFree;
    /** Slots freed since the start: the jobs this supervisor finished or gave up, for {@link ClaimDepth}. */
    private long freedInAll;

    Slots(int capacity, List<Registration> registrations) {
        this.capacity = capacity;
        this.globalFree = capacity;
        List<String> all = new ArrayList<>();
        for (Registration registration : registrations) {
            all.add(registration.type());
            int limit = registration.options().concurrency();
            if (limit > 0 && limit < capacity) {
                limits.put(registration.type(), limit);
                typeFree.put(registration.type(), limit);
            }
        }
        this.types = List.copyOf(all);
    }

    /**
     * Slots held for one claim round: {@link #total} global slots and, per type, how many entries
     * of it the round may take. Each claimed job turns one slot into its own ({@link #take}); the
     * round then returns the rest ({@link #releaseUnused}).
     */
    final class Reservation {
        final int total;
        private final Map<String, Integer> room;
        private int globalLeft;
        private final Map<String, Integer> typeLeft = new LinkedHashMap<>();

        private Reservation(int total, Map<String, Integer> room) {
            this.total = total;
            this.globalLeft = total;
            this.room = Collections.unmodifiableMap(room);
            room.forEach((type, count) -> {
                if (limits.containsKey(type)) {
                    typeLeft.put(type, count);
                }
            });
        }

        boolean isEmpty() {
            return total == 0;
        }

        /** Per type, the most entries this round may claim (in registration order). */
        Map<String, Integer> room() {
            return room;
        }

        /**
         * Turns one reserved slot into the slot of a job of {@code type}, which gives it back
         * through {@link Slots#free}; false if the round has no slot left for that type.
         */
        boolean take(String type) {
            synchronized (Slots.this) {
                Integer left = typeLeft.get(type);
                if (globalLeft <= 0 || !room.containsKey(type) || left != null && left <= 0) {
                    return false;
                }
                globalLeft--;
                if (left != null) {
                    typeLeft.put(type, left - 1);
                }
                return true;
            }
        }

        /** Returns whatever this round did not take; idempotent. */
        void releaseUnused() {
            synchronized (Slots.this) {
                globalFree += globalLeft;
                globalLeft = 0;
                typeLeft.forEach((type, left) -> typeFree.merge(type, left, Integer::sum));
                typeLeft.clear();
            }
            // No wake-up: slots a round held but did not fill mean the queue had no more for them,
            // and the pollers that found no room meanwhile wake on the next free, enqueue or timer.
        }
    }

    /** Reserves up to {@code max} slots across the types with room; empty (holding nothing) if none has. */
    synchronized Reservation reserve(int max) {
        int total = Math.min(max, globalFree);
        Map<String, Integer> room = new LinkedHashMap<>();
        if (total <= 0) {
            return new Reservation(0, room);
        }
        int typesCanTake = 0;
        for (String type : types) {
            Integer free = typeFree.get(type);
            int count = free == null ? total : Math.min(free, total);
            if (count > 0) {
                room.put(type, count);
                typesCanTake = Math.min(total, typesCanTake + count);
            }
        }
        if (room.isEmpty()) {
            return new Reservation(0, room);
        }
        // Never hold more global slots than the types with room could fill.
        total = typesCanTake;
        globalFree -= total;
        room.forEach((type, count) -> typeFree.computeIfPresent(type, (t, free) -> free - count));
        return new Reservation(total, room);
    }

    /** A job of {@code type} finished or was given up: its slots are free again. */
    synchronized void free(String type) {
        globalFree++;
        freedInAll++;
        typeFree.computeIfPresent(type, (t, free) -> free + 1);
    }

    /** Slots freed since the start. */
    synchronized long freedInAll() {
        return freedInAll;
    }

    /** Free global slots now, for tests and diagnostics. */
    synchronized int globalFree() {
        return globalFree;
    }

    /** Slots taken now: by jobs running, waiting for a handler, or having their outcome recorded. */
    synchronized int held() {
        return capacity - globalFree;
    }

    /** Free slots of a limited type now; -1 for a type without a limit of its own. */
    synchronized int typeFree(String type) {
        return typeFree.getOrDefault(type, -1);
    }
}
