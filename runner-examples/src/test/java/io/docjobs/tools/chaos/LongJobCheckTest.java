package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The long jobs' checks, on hand-made evidence. */
class LongJobCheckTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration VT = Duration.ofSeconds(5);
    private static final Duration LENGTH = Duration.ofSeconds(15);
    private static final JobKinds.Job LONG = new JobKinds.Job(JobKinds.Kind.LONG, 0, LENGTH, VT);

    private final FaultLog faults = new FaultLog();

    private LongJobCheck.Findings check(List<Execution> runs) {
        Analysis analysis = new Analysis(faults, new Analysis.Limits(VT, Duration.ofMillis(250), Duration.ofSeconds(1)));
        return new LongJobCheck(faults, analysis).check(Map.of("l", LONG, "s", JobKinds.Job.SHORT), runs);
    }

    /** A long execution from {@code start} ms, {@code length} ms long, with the lease figures its handler saw. */
    private static Execution run(int attempt, long pid, long start, long length, String outcome, long minSlackMs,
            boolean lost) {
        return run(attempt, pid, start, length, outcome, minSlackMs, 1_000, lost);
    }

    private static Execution run(int attempt, long pid, long start, long length, String outcome, long minSlackMs,
            long sinceLastExtensionMs, boolean lost) {
        return run(attempt, pid, start, length, outcome, minSlackMs, sinceLastExtensionMs, lost, 0);
    }

    private static Execution run(int attempt, long pid, long start, long length, String outcome, long minSlackMs,
            long sinceLastExtensionMs, boolean lost, long resumedFromMs) {
        Instant from = T0.plusMillis(start);
        Instant to = from.plusMillis(length);
        return new Execution("l", attempt, "host-" + pid + "-chaos", pid, from, from.plus(VT), to,
                to.plus(VT).minusMillis(1_000), outcome, null, null, null,
                new Execution.LongRun((int) (length / 1_667), Duration.ofMillis(minSlackMs),
                        Duration.ofMillis(sinceLastExtensionMs), lost, Duration.ofMillis(resumedFromMs)));
    }

    private static Execution killed(int attempt, long pid, long start) {
        Instant from = T0.plusMillis(start);
        return new Execution("l", attempt, "host-" + pid + "-chaos", pid, from, from.plus(VT), null, null, null);
    }

    @Test
    void aLongJobKeptAliveByHeartbeatsIsCountedWithItsExtensions() {
        LongJobCheck.Findings findings = check(List.of(run(1, 10, 0, 15_000, Effects.DONE, 3_300, false)));

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.jobs()).isEqualTo(1);
        assertThat(findings.executionsPerJob()).containsExactly(Map.entry(1, 1));
        assertThat(findings.extensions()).isEqualTo(8);
        assertThat(findings.minSlack()).isEqualTo(Duration.ofMillis(3_300));
    }

    @Test
    void aLeaseExtendedAfterItExpiredOnAHealthyDaemonIsAViolationButNotWhileTheDatabaseWasDown() {
        List<Execution> runs = List.of(run(1, 10, 0, 15_000, Effects.DONE, -800, false));

        assertThat(check(runs).violations()).singleElement().asString()
                .contains("on a healthy daemon: a heartbeat extended the lease 800 ms after it had expired");

        faults.kill(new FaultLog.Kill("chaos-1", 10, T0.plusMillis(30_000), Set.of()));
        assertThat(check(runs).violations()).as("its daemon was killed only after the execution ended").hasSize(1);

        faults.restart(new FaultLog.Restart(T0.plusMillis(4_000), T0.plusMillis(9_000), 0));
        assertThat(check(runs).violations()).isEmpty();
    }

    @Test
    void workGoingOnLongerThanALeaseAfterTheLastExtensionOnAHealthyDaemonIsAViolation() {
        assertThat(check(List.of(run(1, 10, 0, 15_000, Effects.DONE, 3_300, 5_400, false))).violations()).singleElement()
                .asString().contains("its work ended 5400 ms after the last extension it saw (or its start), longer than its"
                        + " lease of 5000 ms");
    }

    @Test
    void aShortRemainderWithoutAnExtensionIsNoViolation() {
        Instant from = T0.plusMillis(9_000);
        Execution remainder = new Execution("l", 2, "host-11-chaos", 11, from, from.plus(VT), from.plusMillis(1_700),
                from.plus(VT), Effects.DONE, null, null, null,
                new Execution.LongRun(0, null, Duration.ofMillis(1_700), false, Duration.ofMillis(13_300)));
        faults.kill(new FaultLog.Kill("chaos-1", 10, T0.plusMillis(8_000), Set.of("l")));

        assertThat(check(List.of(killed(1, 10, 0), remainder)).violations()).isEmpty();
    }

    @Test
    void aLeaseLostOnAHealthyDaemonIsAViolationButOneLostInAPauseIsALoss() {
        List<Execution> runs = List.of(run(1, 10, 0, 9_000, Effects.CANCELLED, 3_300, true),
                run(2, 11, 8_000, 15_000, Effects.DONE, 3_300, false));

        LongJobCheck.Findings healthy = check(runs);
        assertThat(healthy.violations()).anySatisfy(v -> assertThat(v).contains("its lease was lost"))
                .anySatisfy(v -> assertThat(v).contains("no fault to explain it"));

        faults.stop(new FaultLog.Stop("chaos-1", 10, T0.plusMillis(2_000), T0.plusMillis(8_900), Set.of("l")));
        LongJobCheck.Findings paused = check(runs);
        assertThat(paused.violations()).isEmpty();
        assertThat(paused.losses()).isEqualTo(1);
        assertThat(paused.extraByCause()).containsExactly(Map.entry(Analysis.Cause.STOP, 1));
        assertThat(paused.maxExecutions()).isEqualTo(2);
    }

    @Test
    void aLongJobKilledAndRunAgainIsExplainedButMustFinishItsFullLengthOnce() {
        faults.kill(new FaultLog.Kill("chaos-1", 10, T0.plusMillis(4_000), Set.of("l")));
        LongJobCheck.Findings findings = check(List.of(killed(1, 10, 0), run(2, 11, 9_000, 15_000, Effects.DONE, 3_300, false)));
        assertThat(findings.violations()).isEmpty();
        assertThat(findings.killed()).isEqualTo(1);

        LongJobCheck.Findings tooShort = check(List.of(killed(1, 10, 0), run(2, 11, 9_000, 4_000, Effects.DONE, 3_300, false)));
        assertThat(tooShort.violations()).singleElement().asString().contains("no execution that finished its 15000 ms");

        LongJobCheck.Findings resumed = check(List.of(killed(1, 10, 0),
                run(2, 11, 9_000, 11_000, Effects.DONE, 3_300, 1_000, false, 4_000)));
        assertThat(resumed.violations()).as("4 s saved by the killed execution, 11 s by this one").isEmpty();
    }

    private void network(FaultLog.NetworkFault kind, long pid, long from, long to) {
        faults.network(new FaultLog.Network(kind, 1, "chaos-1", pid, T0.plusMillis(from), T0.plusMillis(to), Set.of("l"),
                "test"));
    }

    @Test
    void aLeaseLostUnderANetworkFaultOfItsDaemonIsALossNotAViolation() {
        List<Execution> runs = List.of(run(1, 10, 0, 9_000, Effects.CANCELLED, 3_300, true),
                run(2, 11, 8_000, 15_000, Effects.DONE, 3_300, false));

        for (FaultLog.NetworkFault kind : FaultLog.NetworkFault.values()) {
            faults.network(new FaultLog.Network(kind, 2, "chaos-2", 12, T0.plusMillis(1_000), T0.plusMillis(8_000),
                    Set.of(), "another daemon"));
        }
        assertThat(check(runs).violations()).as("faults of another daemon excuse nothing")
                .anySatisfy(v -> assertThat(v).contains("its lease was lost"));

        for (FaultLog.NetworkFault kind : FaultLog.NetworkFault.values()) {
            FaultLog alone = new FaultLog();
            alone.network(new FaultLog.Network(kind, 1, "chaos-1", 10, T0.plusMillis(1_000), T0.plusMillis(7_000),
                    Set.of("l"), "test"));
            Analysis analysis = new Analysis(alone, new Analysis.Limits(VT, Duration.ofMillis(250), Duration.ofSeconds(1)));
            LongJobCheck.Findings findings = new LongJobCheck(alone, analysis).check(Map.of("l", LONG), runs);
            assertThat(findings.violations()).as("%s", kind).isEmpty();
            assertThat(findings.losses()).as("%s", kind).isEqualTo(1);
            assertThat(findings.extraByCause()).as("%s", kind)
                    .containsExactly(Map.entry(Analysis.Cause.valueOf(kind.name()), 1));
        }
    }

    @Test
    void aNetworkFaultCountsFromALeaseBeforeTheStartButNotEarlier() {
        List<Execution> runs = List.of(run(1, 10, 10_000, 15_000, Effects.DONE, -800, false));

        network(FaultLog.NetworkFault.HALF_OPEN, 10, 1_000, 4_000);
        assertThat(check(runs).violations()).as("ended 6 s before the start, more than a lease").singleElement()
                .asString().contains("after it had expired");

        network(FaultLog.NetworkFault.LATENCY, 10, 4_000, 6_000);
        assertThat(check(runs).violations()).as("on while the daemon may have held the claim").isEmpty();
    }
}
