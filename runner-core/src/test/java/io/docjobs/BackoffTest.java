package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BackoffTest {

    @Test
    void theDefaultStartsAtOneSecondWithHalfJitterDoublingUpToFiveMinutes() {
        Backoff backoff = HandlerOptions.DEFAULTS.backoff();

        for (int i = 0; i < 200; i++) {
            assertThat(backoff.delay(1)).isBetween(Duration.ofMillis(500), Duration.ofMillis(1500));
            assertThat(backoff.delay(2)).isBetween(Duration.ofSeconds(1), Duration.ofSeconds(3));
            assertThat(backoff.delay(9)).isBetween(Duration.ofSeconds(128), Duration.ofMinutes(5));
        }
        assertThat(backoff.delay(40)).as("far beyond the cap, jitter and all").isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void withoutJitterEachAttemptMultipliesTheDelay() {
        Backoff backoff = Backoff.exponential().initial(Duration.ofMillis(200)).multiplier(3).jitter(0)
                .max(Duration.ofHours(1)).build();

        assertThat(IntStream.rangeClosed(1, 4).mapToObj(backoff::delay)).containsExactly(Duration.ofMillis(200),
                Duration.ofMillis(600), Duration.ofMillis(1800), Duration.ofMillis(5400));
    }

    @Test
    void theJitterSpreadsDelaysOverTheWholeRange() {
        Backoff backoff = Backoff.exponential().initial(Duration.ofSeconds(10)).jitter(0.5).build();

        var delays = IntStream.range(0, 2000).mapToObj(i -> backoff.delay(1)).toList();

        assertThat(delays).allSatisfy(delay -> assertThat(delay).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(15)));
        assertThat(delays).anySatisfy(delay -> assertThat(delay).isLessThan(Duration.ofSeconds(6)));
        assertThat(delays).anySatisfy(delay -> assertThat(delay).isGreaterThan(Duration.ofSeconds(14)));
    }

    @Test
    void anyAttemptNumberGivesADelayWithinTheCap() {
        Backoff backoff = Backoff.exponential().initial(Backoff.MAX_DELAY).multiplier(1000).jitter(1)
                .max(Backoff.MAX_DELAY).build();

        for (int attempt : new int[] {Integer.MIN_VALUE, 0, 1, 2, 1000, Integer.MAX_VALUE}) {
            assertThat(backoff.delay(attempt)).isBetween(Duration.ofMillis(1), Backoff.MAX_DELAY);
        }
    }

    @Test
    void theExponentialBuilderReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> Backoff.exponential().initial(Duration.ZERO).multiplier(Double.NaN).jitter(-0.1)
                .max(null).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).containsExactly(
                        "backoff initial was PT0S but must be positive",
                        "backoff max was null but must be positive",
                        "backoff multiplier was NaN but must be at least 1 (1 keeps the delay constant)",
                        "backoff jitter was -0.1 but must be between 0 and 1"));
    }

    @Test
    void aFixedBackoffWaitsTheSameEveryTimeFromZeroToTheLongestDelay() {
        assertThat(Backoff.fixed(Duration.ofSeconds(7)).delay(1)).isEqualTo(Duration.ofSeconds(7));
        assertThat(Backoff.fixed(Duration.ofSeconds(7)).delay(50)).isEqualTo(Duration.ofSeconds(7));
        assertThat(Backoff.fixed(Duration.ZERO).delay(3)).isZero();
        assertThat(Backoff.fixed(Backoff.MAX_DELAY).delay(3)).isEqualTo(Backoff.MAX_DELAY);
    }

    @Test
    void aFixedBackoffOutsideItsRangeIsRefused() {
        assertThatThrownBy(() -> Backoff.fixed(Backoff.MAX_DELAY.plusMillis(1)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("backoff delay was PT24H0.001S but must be at most PT24H (1 day)");
        assertThatThrownBy(() -> Backoff.fixed(Duration.ofSeconds(-1)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("backoff delay was PT-1S but must be zero (retry at once) or positive");
        assertThatThrownBy(() -> Backoff.fixed(null)).isInstanceOf(ConfigurationException.class);
    }

    @Test
    void handlerOptionsKeepTheExponentialBuilderAsItWasWhenGiven() {
        Backoff.ExponentialBuilder exponential = Backoff.exponential().initial(Duration.ofSeconds(3)).jitter(0);
        HandlerOptions.Builder builder = HandlerOptions.builder().backoff(exponential);

        exponential.initial(Duration.ofHours(2));

        assertThat(builder.build().backoff().delay(1)).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void aBackoffGivenLastWinsOverAnExponentialGivenBefore() {
        HandlerOptions options = HandlerOptions.builder().backoff(Backoff.exponential().initial(Duration.ZERO))
                .backoff(Backoff.fixed(Duration.ofSeconds(2))).build();

        assertThat(options.backoff().delay(1)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void theFactoriesDescribeTheirBackoffForLogs() {
        assertThat(Backoff.exponential().build()).hasToString(
                "exponential backoff from PT1S, x2.0 per attempt, +/-50% jitter, at most PT5M");
        assertThat(Backoff.fixed(Duration.ofSeconds(2))).hasToString("fixed backoff of PT2S");
    }

    @Test
    void multiplierAndJitterAcceptTheEndsOfTheirRangesAndNothingBeyond() {
        Backoff constant = Backoff.exponential().initial(Duration.ofSeconds(2)).multiplier(1).jitter(0).build();
        assertThat(constant.delay(5)).as("multiplier 1 keeps the delay constant").isEqualTo(Duration.ofSeconds(2));
        Backoff.exponential().jitter(1).build();

        assertThatThrownBy(() -> Backoff.exponential().multiplier(0.999).build())
                .hasMessageContaining("backoff multiplier was 0.999 but must be at least 1");
        assertThatThrownBy(() -> Backoff.exponential().jitter(1.001).build())
                .hasMessageContaining("backoff jitter was 1.001 but must be between 0 and 1");
        assertThat(Backoff.exponential().initial(Duration.ofSeconds(2)).max(Duration.ofSeconds(2)).jitter(0).build()
                .delay(3)).as("a cap equal to the first delay").isEqualTo(Duration.ofSeconds(2));
    }
}
