package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** How a long job's handler reads heartbeats from the deadlines it sees. */
class LeaseWatchTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration VT = Duration.ofSeconds(5);

    /** The monotonic clock the watch reads. */
    private long nanos;

    @Test
    void countsEachLaterDeadlineOnceAndItsSlackBeforeThePreviousDeadline() {
        LeaseWatch watch = new LeaseWatch(T0.plus(VT), VT, () -> nanos);

        watch.observe(T0.plus(VT));
        watch.observe(T0.plusMillis(1_700).plus(VT));
        watch.observe(T0.plusMillis(1_700).plus(VT));
        watch.observe(T0.plusMillis(3_300).plus(VT));

        assertThat(watch.extensions()).isEqualTo(2);
        // The first extension at T0 + 1.7 s, 3.3 s before the first deadline (T0 + 5 s).
        assertThat(watch.minSlack()).isEqualTo(Duration.ofMillis(3_300));
    }

    @Test
    void anExtensionAfterTheDeadlineHasANegativeSlack() {
        LeaseWatch watch = new LeaseWatch(T0.plus(VT), VT, () -> nanos);

        watch.observe(T0.plusMillis(6_000).plus(VT));

        assertThat(watch.minSlack()).isEqualTo(Duration.ofMillis(-1_000));
    }

    @Test
    void noExtensionMeansNoSlackAndTheSilenceCountsFromTheStart() {
        LeaseWatch watch = new LeaseWatch(T0.plus(VT), VT, () -> nanos);

        watch.observe(T0);
        nanos += 1_700_000_000L;

        assertThat(watch.extensions()).isZero();
        assertThat(watch.minSlack()).isNull();
        assertThat(watch.sinceLastExtension()).isEqualTo(Duration.ofMillis(1_700));
    }

    @Test
    void measuresTheTimeSinceTheLastExtensionOnTheMonotonicClock() {
        LeaseWatch watch = new LeaseWatch(T0.plus(VT), VT, () -> nanos);
        nanos = 1_000_000_000L;
        watch.observe(T0.plusMillis(1_700).plus(VT));
        nanos += 200_000_000L;
        watch.observe(T0.plusMillis(1_700).plus(VT));

        nanos += 6_000_000_000L;

        assertThat(watch.sinceLastExtension()).isEqualTo(Duration.ofMillis(6_200));
    }
}
