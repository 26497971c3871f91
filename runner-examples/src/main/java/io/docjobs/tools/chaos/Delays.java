package io.docjobs.tools.chaos;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * How many delays were measured, and their nearest-rank p50 and p99 and their maximum; the
 * figures are empty when none was. One summary for the fault table's rows and the long jobs'
 * redeliveries.
 */
record Delays(int count, Optional<Duration> p50, Optional<Duration> p99, Optional<Duration> max) {

    static Delays of(Collection<Duration> delays) {
        List<Duration> sorted = delays.stream().sorted().toList();
        return new Delays(sorted.size(), percentile(sorted, 50), percentile(sorted, 99),
                sorted.isEmpty() ? Optional.empty() : Optional.of(sorted.get(sorted.size() - 1)));
    }

    /** The nearest-rank percentile of sorted {@code values}. */
    static Optional<Duration> percentile(List<Duration> sorted, int percent) {
        if (sorted.isEmpty()) {
            return Optional.empty();
        }
        int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
        return Optional.of(sorted.get(Math.max(0, rank - 1)));
    }
}
