package io.docjobs.examples.handlers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.HandlerOptions;
import io.docjobs.NonRetryableException;
import io.docjobs.examples.handlers.ChargePaymentHandler.Charge;
import io.docjobs.examples.handlers.ChargePaymentHandler.GatewayTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ChargePaymentHandlerTest {
    private final ChargePaymentHandler handler = new ChargePaymentHandler();

    private static FakeJobContext payment(String id, String account, long amountCents) {
        return FakeJobContext.of(id, ChargePaymentHandler.TYPE,
                "{\"account\": \"" + account + "\", \"amountCents\": " + amountCents + "}");
    }

    @Test
    void chargesAnOpenAccount() {
        handler.handle(payment("job-1", "acct-1", 1250));

        assertThat(handler.charge("job-1")).contains(new Charge("acct-1", 1250, 1));
    }

    @Test
    void flakyAccountTimesOutRetryablyTwiceThenIsChargedOnAttemptThree() {
        FakeJobContext job = payment("job-1", "flaky-1", 500);

        for (int attempt = 1; attempt <= 2; attempt++) {
            FakeJobContext delivery = job.attempt(attempt);
            assertThatThrownBy(() -> handler.handle(delivery))
                    .isInstanceOf(GatewayTimeoutException.class)
                    .isNotInstanceOf(NonRetryableException.class)
                    .hasMessageContaining("attempt " + attempt);
        }
        assertThat(handler.chargedCount()).isZero();

        handler.handle(job.attempt(3));
        assertThat(handler.charge("job-1")).contains(new Charge("flaky-1", 500, 3));
    }

    @Test
    void closedAccountIsNotRetryable() {
        assertThatThrownBy(() -> handler.handle(payment("job-1", "closed-7", 500)))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("account closed-7 is closed");
        assertThat(handler.chargedCount()).isZero();
    }

    @Test
    void amountOfZeroIsNotRetryableAndNamesTheField() {
        assertThatThrownBy(() -> handler.handle(payment("job-1", "acct-1", 0)))
                .isInstanceOf(NonRetryableException.class)
                .hasMessageContaining("amountCents was 0 but must be positive");
    }

    @Test
    void sameJobChargedTwiceChargesOnce() {
        handler.handle(payment("job-1", "acct-1", 1250));
        handler.handle(payment("job-1", "acct-1", 1250).attempt(2)); // redelivery after a lost ack

        assertThat(handler.charges()).containsOnlyKeys("job-1");
        assertThat(handler.charge("job-1")).map(Charge::attempt).contains(1);
    }

    @Test
    void differentJobsForTheSameAccountChargeSeparately() {
        handler.handle(payment("job-1", "acct-1", 1250));
        handler.handle(payment("job-2", "acct-1", 1250));

        assertThat(handler.chargedCount()).isEqualTo(2);
    }

    @Test
    void malformedPayloadThrowsWhatTheProviderOptionsDeclareNonRetryable() {
        FakeJobContext job = FakeJobContext.of("job-1", ChargePaymentHandler.TYPE, "{\"amountCents\": \"12 EUR\"}");

        assertThatThrownBy(() -> handler.handle(job))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"account\" was missing");
        assertThat(new ChargePaymentHandler.Provider().options().nonRetryable())
                .contains(IllegalArgumentException.class);
    }

    @Test
    void providerRetriesQuicklyWithBackoffFrom200MsUpTo5s() {
        HandlerOptions options = new ChargePaymentHandler.Provider().options();

        assertThat(options.backoff().delay(1)).isBetween(Duration.ofMillis(100), Duration.ofMillis(300)); // 200 ms ± 50 %
        assertThat(options.backoff().delay(30)).isLessThanOrEqualTo(Duration.ofSeconds(5));
    }
}
