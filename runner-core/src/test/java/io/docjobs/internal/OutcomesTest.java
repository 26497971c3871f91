package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.Backoff;
import io.docjobs.HandlerOptions;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OutcomesTest {

    private static Duration retryDelayOf(Backoff backoff) {
        return Outcomes.retryDelay(HandlerOptions.builder().backoff(backoff).build(), 1);
    }

    @Test
    void aCustomBackoffIsKeptBetweenNoWaitAndTheLongestDelay() {
        assertThat(retryDelayOf(attempt -> Duration.ofSeconds(-5))).isZero();
        assertThat(retryDelayOf(attempt -> null)).isZero();
        assertThat(retryDelayOf(attempt -> Backoff.MAX_DELAY.plusNanos(1))).isEqualTo(Backoff.MAX_DELAY);
        assertThat(retryDelayOf(attempt -> Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(Backoff.MAX_DELAY);
    }

    @Test
    void aRetryDelayIsWholeMilliseconds() {
        assertThat(retryDelayOf(attempt -> Duration.ofNanos(2_999_999))).isEqualTo(Duration.ofMillis(2));
    }

    @Test
    void theBackoffIsAskedForTheAttemptThatFailed() {
        HandlerOptions options = HandlerOptions.builder().backoff(attempt -> Duration.ofSeconds(attempt)).build();

        assertThat(Outcomes.retryDelay(options, 4)).isEqualTo(Duration.ofSeconds(4));
    }
}
