package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The engine's nanosecond arithmetic saturates instead of overflowing, and is exact otherwise. */
class NanosTest {
    @Test
    void additionIsExactWithinRangeAndSaturatesAtBothEnds() {
        assertThat(Nanos.saturatedAdd(5, 7)).isEqualTo(12);
        assertThat(Nanos.saturatedAdd(-5, -7)).isEqualTo(-12);
        assertThat(Nanos.saturatedAdd(0, 0)).isZero();
        assertThat(Nanos.saturatedAdd(Long.MAX_VALUE, Long.MIN_VALUE)).isEqualTo(-1);
        assertThat(Nanos.saturatedAdd(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(Nanos.saturatedAdd(Long.MAX_VALUE - 1, Long.MAX_VALUE)).isEqualTo(Long.MAX_VALUE);
        assertThat(Nanos.saturatedAdd(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
        assertThat(Nanos.saturatedAdd(-1, Long.MIN_VALUE)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void subtractionIsExactWithinRangeAndSaturatesAtBothEnds() {
        assertThat(Nanos.saturatedSub(0, 0)).isZero();
        assertThat(Nanos.saturatedSub(7, 12)).isEqualTo(-5);
        assertThat(Nanos.saturatedSub(Long.MAX_VALUE, -1)).isEqualTo(Long.MAX_VALUE);
        assertThat(Nanos.saturatedSub(Long.MIN_VALUE, 1)).isEqualTo(Long.MIN_VALUE);
        assertThat(Nanos.saturatedSub(0, Long.MIN_VALUE)).as("0 is not negative: up, not down").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void durationsBeyondALongOfNanosSaturate() {
        assertThat(Nanos.of(Duration.ofMillis(3))).isEqualTo(3_000_000);
        assertThat(Nanos.of(Duration.ofDays(365L * 1_000))).isEqualTo(Long.MAX_VALUE);
        assertThat(Nanos.of(Duration.ofDays(-365L * 1_000))).isEqualTo(Long.MIN_VALUE);
    }
}
