package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Counts of a queue at one moment (database time), per type.
 *
 * @param at     the database time the counts refer to
 * @param byType one row per type present in the queue, sorted by type
 */
public record QueueStats(Instant at, List<TypeStats> byType) {

    /**
     * Copies {@code byType}: the stats do not change when the caller's list does.
     *
     * @param at     the database time the counts refer to
     * @param byType one row per type, sorted by type
     */
    public QueueStats {
        byType = List.copyOf(byType);
    }

    /**
     * Counts for one type.
     *
     * @param type           the job type the row counts
     * @param ready          READY and visible now: waiting for a worker
     * @param delayed        READY but visible only later (delayed or waiting for a retry)
     * @param leased         LEASED with a deadline in the future
     * @param expiredLeases  LEASED past the deadline: the worker is gone or slow; claimable again
     * @param dead           DEAD letters
     * @param oldestReadyAge how long the oldest visible READY entry has waited; zero if none
     */
    public record TypeStats(String type, long ready, long delayed, long leased, long expiredLeases, long dead,
            Duration oldestReadyAge) {

        /** {@return entries that are not dead: everything still to be done or being done} */
        public long unfinished() {
            return ready + delayed + leased + expiredLeases;
        }
    }

    /** {@return the sum of {@link TypeStats#ready()} over all types} */
    public long ready() {
        return byType.stream().mapToLong(TypeStats::ready).sum();
    }

    /** {@return the sum of {@link TypeStats#delayed()} over all types} */
    public long delayed() {
        return byType.stream().mapToLong(TypeStats::delayed).sum();
    }

    /** {@return the sum of {@link TypeStats#leased()} over all types} */
    public long leased() {
        return byType.stream().mapToLong(TypeStats::leased).sum();
    }

    /** {@return the sum of {@link TypeStats#expiredLeases()} over all types} */
    public long expiredLeases() {
        return byType.stream().mapToLong(TypeStats::expiredLeases).sum();
    }

    /** {@return the sum of {@link TypeStats#dead()} over all types} */
    public long dead() {
        return byType.stream().mapToLong(TypeStats::dead).sum();
    }

    /** {@return the longest wait of any visible READY entry across types; zero if none} */
    public Duration oldestReadyAge() {
        return byType.stream().map(TypeStats::oldestReadyAge).max(Duration::compareTo).orElse(Duration.ZERO);
    }

    /**
     * {@return the row for {@code type}, or a row of zeros if the queue holds none of it}
     *
     * @param type the job type
     */
    public TypeStats forType(String type) {
        return byType.stream().filter(row -> row.type().equals(type)).findFirst()
                .orElse(new TypeStats(type, 0, 0, 0, 0, 0, Duration.ZERO));
    }
}
