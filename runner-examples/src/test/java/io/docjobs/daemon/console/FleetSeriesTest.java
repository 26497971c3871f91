package io.docjobs.daemon.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.SupervisorInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The fleet charts' points: each ALIVE supervisor's rates over its last registry interval, summed. */
class FleetSeriesTest {
    private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    private final AtomicLong clock = new AtomicLong(1_000);
    private final FleetSeries fleet = new FleetSeries(clock::get);

    private static SupervisorInfo supervisor(String id, SupervisorInfo.Status status, long seenSeconds, long succeeded,
            long retried, long dead, long timedOut, long waitMillis, long waits) {
        return new SupervisorInfo(id, "w-" + id, "host", "1.0", List.of("t"), 4, 0, T0, T0.plusSeconds(seenSeconds),
                null, Duration.ofSeconds(10), status, new SupervisorInfo.Counts(waits, succeeded, retried, dead, timedOut,
                        0, 0, waitMillis, waits, 0), List.of(), 0);
    }

    private static SupervisorInfo alive(String id, long seenSeconds, long succeeded, long failed, long waitMillis,
            long waits) {
        return supervisor(id, SupervisorInfo.Status.ALIVE, seenSeconds, succeeded, failed, 0, 0, waitMillis, waits);
    }

    private MetricSeries.Point last() {
        List<MetricSeries.Point> points = fleet.points();
        return points.get(points.size() - 1);
    }

    @Test
    void sumsEachAliveSupervisorsRatesOverItsLastInterval() {
        fleet.observe(List.of(alive("a", 0, 100, 0, 0, 0), alive("b", 0, 0, 0, 0, 0)));
        assertThat(last().succeeded()).isZero();
        assertThat(last().queueWaitMs()).isEqualTo(-1);

        fleet.observe(List.of(alive("a", 10, 200, 20, 5_000, 50), alive("b", 5, 50, 0, 1_000, 50),
                supervisor("c", SupervisorInfo.Status.GONE, 10, 9_999, 9_999, 0, 0, 0, 0)));
        assertThat(last().succeeded()).isEqualTo(10 + 10);
        assertThat(last().failed()).isEqualTo(2);
        assertThat(last().queueWaitMs()).isEqualTo(60.0); // 6 000 ms over 100 waits
    }

    @Test
    void aSupervisorThatDidNotWriteSinceKeepsItsLastRate() {
        fleet.observe(List.of(alive("a", 0, 0, 0, 0, 0)));
        fleet.observe(List.of(alive("a", 10, 100, 0, 0, 0)));
        clock.set(3_000);
        fleet.observe(List.of(alive("a", 10, 100, 0, 0, 0)));
        assertThat(fleet.points()).hasSize(3);
        assertThat(last().succeeded()).isEqualTo(10);
        assertThat(last().epochMillis()).isEqualTo(3_000);
    }

    @Test
    void countsThatGoBackAreANewBaselineNotANegativeRate() {
        fleet.observe(List.of(alive("a", 0, 500, 10, 0, 0)));
        fleet.observe(List.of(alive("a", 10, 3, 0, 0, 0)));
        assertThat(last().succeeded()).isZero();
        assertThat(last().failed()).isZero();
    }

    @Test
    void failedCountsRetriedDeadLetteredAndTimedOut() {
        fleet.observe(List.of(supervisor("a", SupervisorInfo.Status.ALIVE, 0, 0, 0, 0, 0, 0, 0)));
        fleet.observe(List.of(supervisor("a", SupervisorInfo.Status.ALIVE, 2, 0, 1, 2, 3, 0, 0)));
        assertThat(last().failed()).isEqualTo(3.0);
    }
}
