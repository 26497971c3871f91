package io.docjobs.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.Lease;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** The exported test helpers behave as their users' tests rely on. */
class TestingFixturesTest {
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void aManualClockMovesOnlyWhenTold() {
        ManualClock clock = new ManualClock(START);
        assertThat(clock.instant()).isEqualTo(START);

        clock.advance(Duration.ofSeconds(31));
        assertThat(clock.instant()).isEqualTo(START.plusSeconds(31));

        clock.set(START.plusSeconds(3600));
        assertThat(clock.instant()).isEqualTo(START.plusSeconds(3600));
        assertThat(clock.millis()).isEqualTo(START.plusSeconds(3600).toEpochMilli());
    }

    @Test
    void aManualClockInAnotherZoneIsTheSameInstant() {
        ManualClock clock = new ManualClock(START);
        assertThat(clock.getZone()).isEqualTo(ZoneOffset.UTC);

        ZoneId paris = ZoneId.of("Europe/Paris");
        var inParis = clock.withZone(paris);
        assertThat(inParis.getZone()).isEqualTo(paris);
        assertThat(inParis.instant()).isEqualTo(START);
        clock.advance(Duration.ofMinutes(1));
        assertThat(inParis.instant()).as("the view moves with its clock").isEqualTo(START.plusSeconds(60));
    }

    @Test
    void aManualClockRefusesNullsAsBadArguments() {
        ManualClock clock = new ManualClock(START);
        assertThatThrownBy(() -> clock.set(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was null");
        assertThatThrownBy(() -> clock.advance(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aBuiltLeaseCarriesEveryFieldSet() {
        Lease lease = TestLeases.builder().id("job-1").type("email").payload("{\"to\": \"a@b\"}").attempt(2)
                .maxAttempts(3).token("tok-1").workerId("w-1").deadline(START.plusSeconds(30))
                .enqueuedAt(START).visibleSince(START.plusSeconds(1)).visibilityTimeout(Duration.ofSeconds(30))
                .priority(7).traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").build();

        assertThat(lease.id()).isEqualTo("job-1");
        assertThat(lease.type()).isEqualTo("email");
        assertThat(lease.payload()).isEqualTo("{\"to\": \"a@b\"}");
        assertThat(lease.payloadDocument().getString("to")).isEqualTo("a@b");
        assertThat(lease.hasDocumentPayload()).isFalse();
        assertThat(lease.attempt()).isEqualTo(2);
        assertThat(lease.maxAttempts()).isEqualTo(3);
        assertThat(lease.token()).isEqualTo("tok-1");
        assertThat(lease.workerId()).isEqualTo("w-1");
        assertThat(lease.deadline()).isEqualTo(START.plusSeconds(30));
        assertThat(lease.enqueuedAt()).isEqualTo(START);
        assertThat(lease.visibleSince()).isEqualTo(START.plusSeconds(1));
        assertThat(lease.visibilityTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(lease.priority()).isEqualTo(7);
        assertThat(lease.traceparent()).startsWith("00-0af7651916cd43dd");
    }

    @Test
    void aDocumentPayloadStaysADocument() {
        Lease lease = TestLeases.builder().payload(new Document("n", 1)).build();

        assertThat(lease.hasDocumentPayload()).isTrue();
        assertThat(lease.payloadDocument()).isEqualTo(new Document("n", 1));
        assertThat(lease.payload()).contains("\"n\"");
    }

    @Test
    void leasesAreEqualByIdAndTokenOnly() {
        Lease a = TestLeases.builder().id("x").token("t").attempt(1).build();
        Lease sameLease = TestLeases.builder().id("x").token("t").attempt(2).priority(9).build();
        Lease otherToken = TestLeases.builder().id("x").token("u").build();

        assertThat(a).isEqualTo(sameLease).hasSameHashCodeAs(sameLease).isNotEqualTo(otherToken);
        assertThat(a.toString()).contains("id=x").contains("token=t");
    }
}
