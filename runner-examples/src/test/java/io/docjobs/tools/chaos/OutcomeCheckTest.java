package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The final accounting, on hand-made evidence: done or dead, dead only by design, every attempt explained. */
class OutcomeCheckTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration VT = Duration.ofSeconds(5);
    private static final JobKinds.Job RETRY_TWICE = new JobKinds.Job(JobKinds.Kind.RETRY, 2, Duration.ZERO, Duration.ZERO);
    private static final JobKinds.Job POISON = new JobKinds.Job(JobKinds.Kind.POISON, 0, Duration.ZERO, Duration.ZERO);

    private final FaultLog faults = new FaultLog();
    private final Analysis analysis = new Analysis(faults, new Analysis.Limits(VT, Duration.ofMillis(250), Duration.ofSeconds(1)));

    private static Execution run(String job, int attempt, long pid, long start, String outcome) {
        return new Execution(job, attempt, "host-" + pid + "-chaos", pid, T0.plusMillis(start), T0.plusMillis(start).plus(VT),
                outcome == null ? null : T0.plusMillis(start + 5), outcome == null ? null : T0.plusMillis(start).plus(VT), outcome);
    }

    private static JobEntry dead(String id, int attempts, String error) {
        return new JobEntry(id, ChaosHandler.TYPE, null, JobState.DEAD, 0, attempts, JobKinds.POISON_MAX_ATTEMPTS, T0, null,
                null, "w", new JobError(error, IllegalStateException.class.getName(), T0, "w", attempts), T0);
    }

    private static Map<String, Analysis.Entry> deadLeft(String id) {
        return Map.of(id, new Analysis.Entry(id, "dead", null));
    }

    private OutcomeCheck.Findings check(Map<String, JobKinds.Job> jobs, List<Execution> runs, Map<String, Analysis.Entry> left,
            List<JobEntry> dead) {
        return OutcomeCheck.check(jobs, runs, left, dead, analysis);
    }

    @Test
    void aRetryJobThatFailsItsPlannedAttemptsThenSucceedsIsCompletedWithEveryAttemptExplained() {
        OutcomeCheck.Findings findings = check(Map.of("r", RETRY_TWICE), List.of(run("r", 1, 10, 0, Effects.FAILED),
                run("r", 2, 10, 100, Effects.FAILED), run("r", 3, 11, 400, Effects.DONE)), Map.of(), List.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.completedByKind()).containsEntry(JobKinds.Kind.RETRY, 1);
        assertThat(findings.plannedFailures()).isEqualTo(2);
        assertThat(findings.faultAttempts()).isZero();
    }

    @Test
    void aRetryJobSucceedingOnAnAttemptPlannedToFailIsAViolation() {
        OutcomeCheck.Findings findings = check(Map.of("r", RETRY_TWICE), List.of(run("r", 1, 10, 0, Effects.FAILED),
                run("r", 2, 10, 100, Effects.DONE)), Map.of(), List.of());

        assertThat(findings.violations()).singleElement().asString().contains("attempt 2 succeeded, but was planned to fail");
    }

    @Test
    void aPoisonJobDeadAfterAllItsAttemptsWithItsPlannedFailureIsDeadByDesign() {
        OutcomeCheck.Findings findings = check(Map.of("p", POISON), List.of(run("p", 1, 10, 0, Effects.FAILED),
                run("p", 2, 10, 100, Effects.FAILED), run("p", 3, 10, 300, Effects.FAILED)), deadLeft("p"),
                List.of(dead("p", 3, POISON.failure(3))));

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.deadByDesign()).isEqualTo(1);
        assertThat(findings.accounted()).isEqualTo(1);
    }

    @Test
    void aPoisonJobWhoseLastAttemptWasKilledIsDeadAfterAFault() {
        faults.kill(new FaultLog.Kill("chaos-1", 11, T0.plusMillis(350), java.util.Set.of("p")));
        OutcomeCheck.Findings findings = check(Map.of("p", POISON), List.of(run("p", 1, 10, 0, Effects.FAILED),
                run("p", 2, 10, 100, Effects.FAILED), run("p", 3, 11, 300, null)), deadLeft("p"),
                List.of(dead("p", 3, "attempt 3 of 3 did not finish: its lease expired without done or release")));

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.deadAfterFault()).isEqualTo(1);
    }

    @Test
    void aPoisonJobNotDeadAndAnyOtherJobDeadAreViolations() {
        OutcomeCheck.Findings findings = check(Map.of("p", POISON, "s", JobKinds.Job.SHORT),
                List.of(run("p", 1, 10, 0, Effects.FAILED), run("s", 1, 10, 0, Effects.DONE)),
                Map.of("p", new Analysis.Entry("p", "ready", T0), "s", new Analysis.Entry("s", "dead", null)),
                List.of(dead("s", 1, "boom")));

        assertThat(findings.violations()).anySatisfy(v -> assertThat(v).contains("poison job p was not dead-lettered"))
                .anySatisfy(v -> assertThat(v).contains("short job s was dead-lettered after 1 of 3 attempts; last error: boom"))
                .anySatisfy(v -> assertThat(v).contains("1 of 2 jobs ended neither completed nor dead-lettered"));
    }

    @Test
    void anExtraExecutionWithoutAFaultIsUnexplainedButOneAfterAKillIsNot() {
        List<Execution> runs = List.of(run("s", 1, 10, 0, null), run("s", 2, 11, 5_500, Effects.DONE));

        OutcomeCheck.Findings unexplained = check(Map.of("s", JobKinds.Job.SHORT), runs, Map.of(), List.of());
        assertThat(unexplained.unexplained()).isEqualTo(1);
        assertThat(unexplained.violations()).singleElement().asString().contains("neither a planned failure nor a fault");

        faults.kill(new FaultLog.Kill("chaos-1", 10, T0.plusMillis(10), java.util.Set.of("s")));
        OutcomeCheck.Findings killed = check(Map.of("s", JobKinds.Job.SHORT), runs, Map.of(), List.of());
        assertThat(killed.violations()).isEmpty();
        assertThat(killed.faultAttempts()).isEqualTo(1);
    }

    @Test
    void theProbeCutOffByThePartitionIsCompletedByItsNextAttemptWithTheFirstExplained() {
        faults.network(new FaultLog.Network(FaultLog.NetworkFault.PARTITION, 1, "chaos-1", 10, T0.plusMillis(1_000),
                T0.plusMillis(10_000), java.util.Set.of("p"), "test"));
        List<Execution> runs = List.of(run("p", 1, 10, 500, Effects.CANCELLED), run("p", 2, 11, 6_200, Effects.DONE));

        OutcomeCheck.Findings findings = check(Map.of("p", JobKinds.Job.PROBE, "s", JobKinds.Job.SHORT),
                List.of(runs.get(0), runs.get(1), run("s", 1, 11, 0, Effects.DONE)), Map.of(), List.of());

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.enqueued()).isEqualTo(2);
        assertThat(findings.accounted()).isEqualTo(2);
        assertThat(findings.completedByKind()).containsEntry(JobKinds.Kind.PROBE, 1).containsEntry(JobKinds.Kind.SHORT, 1);
        assertThat(findings.faultAttempts()).isEqualTo(1);
    }

    @Test
    void aPoisonJobWhoseDaemonWasKilledBetweenTheLastFailureAndItsAcknowledgementIsDeadAfterAFault() {
        List<Execution> runs = List.of(run("p", 1, 10, 0, Effects.FAILED), run("p", 2, 10, 100, Effects.FAILED),
                run("p", 3, 11, 300, Effects.FAILED));
        List<JobEntry> deadLetters = List.of(dead("p", 3, "attempt 3 of 3 did not finish: its lease expired without done or release"));

        assertThat(check(Map.of("p", POISON), runs, deadLeft("p"), deadLetters).violations()).singleElement().asString()
                .contains("neither its planned failure nor a fault explains");

        faults.kill(new FaultLog.Kill("chaos-2", 11, T0.plusMillis(310), java.util.Set.of("p")));
        OutcomeCheck.Findings findings = check(Map.of("p", POISON), runs, deadLeft("p"), deadLetters);

        assertThat(findings.violations()).isEmpty();
        assertThat(findings.deadAfterFault()).isEqualTo(1);
    }
}
