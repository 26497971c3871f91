package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The chaos run's checks, on hand-made evidence. */
class AnalysisTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration VT = Duration.ofSeconds(5);
    private static final Analysis.Limits LIMITS = new Analysis.Limits(VT, Duration.ofMillis(250), Duration.ofSeconds(1));

    private final FaultLog faults = new FaultLog();

    private static Instant at(long millis) {
        return T0.plusMillis(millis);
    }

    /** An execution that started at {@code start} ms under a fresh lease and ended {@code length} ms later. */
    private static Execution finished(String job, int attempt, long pid, long start, long length) {
        return new Execution(job, attempt, "host-" + pid + "-chaos", pid, at(start), at(start).plus(VT), at(start + length),
                at(start).plus(VT), Effects.DONE);
    }

    /** An execution whose daemon died while it ran. */
    private static Execution unfinished(String job, int attempt, long pid, long start) {
        return new Execution(job, attempt, "host-" + pid + "-chaos", pid, at(start), at(start).plus(VT), null, null, null);
    }

    private Analysis.Findings analyse(Set<String> enqueued, List<Execution> executions, Map<String, Analysis.Entry> left) {
        return new Analysis(faults, LIMITS).analyse(enqueued, executions, left);
    }

    @Test
    void everyJobRunOnceIsCleanAndCompleted() {
        Analysis.Findings findings = analyse(Set.of("a", "b"),
                List.of(finished("a", 1, 10, 0, 5), finished("b", 1, 11, 3, 5)), Map.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.completed()).isEqualTo(2);
        assertThat(findings.lost()).isEmpty();
        assertThat(findings.extraExecutions()).isZero();
        assertThat(findings.longestRedelivery()).isEmpty();
    }

    @Test
    void aJobNeitherCompletedNorQueuedIsLostButOneStillQueuedIsNot() {
        Analysis.Findings findings = analyse(Set.of("a", "b", "c"), List.of(finished("a", 1, 10, 0, 5),
                unfinished("b", 1, 10, 0)), Map.of("c", new Analysis.Entry("c", "ready", at(0))));

        assertThat(findings.lost()).containsExactly("b");
        assertThat(findings.inQueue()).isEqualTo(1);
        assertThat(findings.violations()).singleElement().asString().contains("1 jobs lost");
    }

    @Test
    void aKilledAttemptRedeliveredAfterItsLeaseIsExplainedAndMeasuredFromTheKill() {
        faults.kill(new FaultLog.Kill("chaos-1", 10, at(1_000), Set.of("a")));
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(unfinished("a", 1, 10, 500), finished("a", 2, 11, 5_600, 5)), Map.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.extraByCause()).containsExactly(Map.entry(Analysis.Cause.KILL, 1));
        assertThat(findings.longestRedelivery()).get().extracting(Analysis.Redelivery::delay)
                .isEqualTo(Duration.ofMillis(4_600));
    }

    @Test
    void twoExecutionsUnderOneAttemptAreAViolation() {
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 0, 5), finished("a", 1, 11, 2, 5)), Map.of());

        assertThat(findings.extraByCause()).containsKey(Analysis.Cause.SAME_ATTEMPT);
        assertThat(findings.violations()).anySatisfy(v -> assertThat(v).contains("two valid leases at once"));
    }

    @Test
    void aNewAttemptStartingBeforeThePreviousLeaseEndedIsAViolation() {
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 0, 5), finished("a", 2, 11, 1_000, 5)), Map.of());

        assertThat(findings.violations()).anySatisfy(v -> assertThat(v).contains("was valid until at least"));
    }

    @Test
    void aSlowRedeliveryIsAViolationUnlessTheDatabaseWasDownMeanwhile() {
        faults.kill(new FaultLog.Kill("chaos-1", 10, at(0), Set.of()));
        List<Execution> executions = List.of(unfinished("a", 1, 10, -100), finished("a", 2, 11, 8_000, 5));

        assertThat(analyse(Set.of("a"), executions, Map.of()).violations())
                .anySatisfy(v -> assertThat(v).contains("redelivered 8000 ms").contains("limit of 6250 ms"));

        faults.restart(new FaultLog.Restart(at(4_000), at(6_000), 0));
        Analysis.Findings findings = analyse(Set.of("a"), executions, Map.of());
        assertThat(findings.violations()).isEmpty();
        assertThat(findings.longestRedelivery()).get().extracting(Analysis.Redelivery::delay)
                .isEqualTo(Duration.ofMillis(6_000));
    }

    @Test
    void aPausedWorkerFinishingAfterTheTakeOverIsAStaleExecutionExplainedByThePause() {
        faults.stop(new FaultLog.Stop("chaos-1", 10, at(100), at(9_000), Set.of("a")));
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 0, 9_050), finished("a", 2, 11, 5_300, 5)), Map.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.extraByCause()).containsExactly(Map.entry(Analysis.Cause.STOP, 1));
        assertThat(findings.staleFinishes()).isEqualTo(1);
        assertThat(findings.completed()).isEqualTo(1);
    }

    @Test
    void aLeaseOfAKilledDaemonIsMeasuredEvenIfItsHandlerNeverStarted() {
        faults.kill(new FaultLog.Kill("chaos-1", 10, at(1_000), Set.of("a", "b", "done-just-before")));
        Analysis.Findings findings = analyse(Set.of("a", "b", "done-just-before"), List.of(finished("a", 2, 11, 6_100, 5),
                finished("b", 3, 11, 7_500, 5), finished("done-just-before", 1, 10, 900, 5)), Map.of());

        assertThat(findings.firstRecordedLater()).isEqualTo(2);
        assertThat(findings.redeliveriesMeasured()).isEqualTo(2);
        assertThat(findings.longestRedelivery()).get().satisfies(r -> {
            assertThat(r.job()).isEqualTo("b");
            assertThat(r.delay()).isEqualTo(Duration.ofMillis(6_500));
        });
        assertThat(findings.violations()).singleElement().asString()
                .contains("job b was redelivered 6500 ms after kill -9 of chaos-1");
    }

    @Test
    void anAttemptWithoutRecordInBetweenIsCountedNotMeasured() {
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 0, 5), finished("a", 3, 11, 12_000, 5)), Map.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.extraByCause()).containsExactly(Map.entry(Analysis.Cause.UNRECORDED, 1));
        assertThat(findings.longestRedelivery()).isEmpty();
    }

    @Test
    void anAttemptThatFailedOnPurposeReleasedItsLeaseSoItsRetryMayStartBeforeTheOldDeadline() {
        Execution failed = new Execution("a", 1, "host-10-chaos", 10, at(0), at(0).plus(VT), at(5), at(0).plus(VT),
                Effects.FAILED);
        Analysis.Findings findings = analyse(Set.of("a"), List.of(failed, finished("a", 2, 10, 150, 5)), Map.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.extraByCause()).containsExactly(Map.entry(Analysis.Cause.FAILED, 1));
        assertThat(findings.longestRedelivery()).isEmpty();
    }

    @Test
    void aDeadLetterLeftInTheQueueIsNotLost() {
        Analysis.Findings findings = analyse(Set.of("p"), List.of(), Map.of("p", new Analysis.Entry("p", "dead", null)));

        assertThat(findings.lost()).isEmpty();
        assertThat(findings.inQueueByState()).containsEntry("dead", 1);
    }

    private void network(FaultLog.NetworkFault kind, long pid, long from, long to, Set<String> held) {
        faults.network(new FaultLog.Network(kind, 1, "chaos-" + pid, pid, at(from), at(to), held, "test"));
    }

    @Test
    void aPartitionedDaemonsJobIsExplainedByThePartitionAndMeasuredFromTheCut() {
        network(FaultLog.NetworkFault.PARTITION, 10, 1_000, 10_000, Set.of("a"));
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 500, 5), finished("a", 2, 11, 6_200, 5)), Map.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.extraByCause()).containsExactly(Map.entry(Analysis.Cause.PARTITION, 1));
        assertThat(findings.redeliveries()).singleElement().satisfies(r -> {
            assertThat(r.cause()).isEqualTo(Analysis.Cause.PARTITION);
            assertThat(r.delay()).isEqualTo(Duration.ofMillis(5_200));
        });
    }

    @Test
    void aPartitionedDaemonsJobRedeliveredTooLateIsAViolation() {
        network(FaultLog.NetworkFault.PARTITION, 10, 1_000, 10_000, Set.of("a"));
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 500, 5), finished("a", 2, 11, 8_000, 5)), Map.of());

        assertThat(findings.violations()).anySatisfy(v -> assertThat(v).contains("was redelivered 7000 ms after")
                .contains("partition"));
    }

    @Test
    void anExtraExecutionAfterANetworkFaultOnTheSameDaemonIsExplainedByTheGravestOne() {
        network(FaultLog.NetworkFault.LATENCY, 10, 1_000, 4_000, Set.of());
        network(FaultLog.NetworkFault.HALF_OPEN, 10, 2_000, 8_000, Set.of());
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 0, 5), finished("a", 2, 11, 5_300, 5)), Map.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.extraByCause()).containsExactly(Map.entry(Analysis.Cause.HALF_OPEN, 1));
        assertThat(findings.longestRedelivery()).get().extracting(Analysis.Redelivery::delay)
                .isEqualTo(Duration.ofMillis(300));
    }

    @Test
    void aNetworkFaultOnAnotherDaemonExplainsNothing() {
        network(FaultLog.NetworkFault.DROP, 12, 1_000, 1_000, Set.of());
        Analysis.Findings findings = analyse(Set.of("a"),
                List.of(finished("a", 1, 10, 0, 5), finished("a", 2, 11, 5_300, 5)), Map.of());

        assertThat(findings.extraByCause()).containsExactly(Map.entry(Analysis.Cause.OTHER, 1));
    }

    @Test
    void aLongJobWaitingForOneOfItsCappedSlotsIsReportedApartAndNotHeldToTheBound() {
        faults.kill(new FaultLog.Kill("chaos-1", 10, at(0), Set.of("long", "short")));
        Execution.LongRun run = new Execution.LongRun(3, Duration.ofSeconds(2), Duration.ofMillis(500), false, Duration.ZERO);
        Execution longRedelivered = new Execution("long", 2, "host-11-chaos", 11, at(60_000), at(65_000), at(75_000),
                at(80_000), Effects.DONE, null, null, null, run);
        Analysis.Findings findings = analyse(Set.of("long", "short"), List.of(longRedelivered, finished("short", 2, 11, 60_000, 5)),
                Map.of());

        assertThat(findings.violations()).singleElement().asString().contains("job short was redelivered 60000 ms");
        assertThat(findings.redeliveries()).extracting(Analysis.Redelivery::job).containsExactly("short");
        assertThat(findings.longJobRedeliveries()).singleElement().satisfies(r -> {
            assertThat(r.job()).isEqualTo("long");
            assertThat(r.delay()).isEqualTo(Duration.ofSeconds(60));
        });
    }
}
