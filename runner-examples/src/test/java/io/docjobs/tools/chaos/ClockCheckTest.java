package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Lease deadlines stay on the database's clock, whatever the daemons' clocks say. */
class ClockCheckTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration VT = Duration.ofSeconds(5);

    private final FaultLog faults = new FaultLog();

    /** An execution started at {@code start} ms (database time) on a lease until {@code deadline} ms. */
    private static Execution run(long pid, long start, long deadline) {
        return new Execution("j" + start, 1, "w", pid, T0.plusMillis(start), T0.plusMillis(deadline),
                T0.plusMillis(start + 5), T0.plusMillis(deadline), Effects.DONE);
    }

    @Test
    void deadlinesOnTheDatabasesClockPassOnSkewedDaemonsToo() {
        faults.clock(new FaultLog.ClockShift("chaos-1", 10, T0, Duration.ofMinutes(2), false));
        faults.clock(new FaultLog.ClockShift("chaos-2", 11, T0, Duration.ofMinutes(-2), false));

        ClockCheck.Findings findings = ClockCheck.check(List.of(run(10, 1_000, 6_000), run(11, 2_000, 6_500),
                run(12, 3_000, 8_000)), faults, VT);

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.checked()).isEqualTo(3);
        assertThat(findings.onSkewedClocks()).isEqualTo(2);
        assertThat(findings.skewedDaemons()).isEqualTo(2);
    }

    @Test
    void aLeaseReckonedOnAClockTwoMinutesSlowExpiredEarly() {
        faults.clock(new FaultLog.ClockShift("chaos-2", 11, T0, Duration.ofMinutes(-2), false));

        ClockCheck.Findings findings = ClockCheck.check(List.of(run(11, 200_000, 200_000 - 120_000 + 5_000)), faults, VT);

        assertThat(findings.violations()).singleElement().asString().contains("expired early")
                .contains("skewed clock");
    }

    @Test
    void aLeaseReckonedOnAClockTwoMinutesFastIsTooLong() {
        ClockCheck.Findings findings = ClockCheck.check(List.of(run(10, 1_000, 1_000 + 120_000 + 5_000)), faults, VT);

        assertThat(findings.violations()).singleElement().asString().contains("longer than the visibility timeout");
    }

    @Test
    void aHandlerStartingOnAnExpiredLeaseRightAfterAPartitionOfItsDaemonIsHeldToTheLengthOnly() {
        faults.network(new FaultLog.Network(FaultLog.NetworkFault.PARTITION, 1, "chaos-1", 10, T0, T0.plusSeconds(9),
                Set.of(), "test"));

        ClockCheck.Findings findings = ClockCheck.check(List.of(run(10, 9_500, 4_000)), faults, VT);

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.upperOnly()).isEqualTo(1);
        assertThat(findings.checked()).isZero();
    }

    @Test
    void countsEachJumpOnce() {
        faults.clock(new FaultLog.ClockShift("chaos-3", 12, T0, Duration.ZERO, false));
        faults.clock(new FaultLog.ClockShift("chaos-3", 12, T0.plusSeconds(5), Duration.ofSeconds(100), true));
        faults.clock(new FaultLog.ClockShift("chaos-6", 15, T0.plusSeconds(5), Duration.ofSeconds(100), true));

        ClockCheck.Findings findings = ClockCheck.check(List.of(), faults, VT);

        assertThat(findings.jumps()).isEqualTo(1);
        assertThat(findings.skewedDaemons()).isEqualTo(2);
    }
}
