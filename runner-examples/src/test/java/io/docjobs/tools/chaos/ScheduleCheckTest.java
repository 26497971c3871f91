package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The schedules' check of the chaos run, on hand-made evidence. */
class ScheduleCheckTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final String ID = "chaos.every-second";
    private static final Duration STEP = Duration.ofSeconds(1);

    /** The window of the times T0 + first s to T0 + last s. */
    private static ScheduleCheck.Window window(long first, long last) {
        return new ScheduleCheck.Window(ID, "every PT1S", STEP, false, second(first), second(last), List.of());
    }

    private static Instant second(long seconds) {
        return T0.plusSeconds(seconds);
    }

    /** A finished execution of {@code job}, enqueued for T0 + {@code time} s, {@code lagMs} late. */
    private static Execution ran(String job, int attempt, long time, long lagMs) {
        Instant start = second(time).plusMillis(lagMs + 5);
        return new Execution(job, attempt, "host-1-chaos-1", 1, start, start.plusSeconds(5), start.plusMillis(3),
                start.plusSeconds(5), Effects.DONE, ID, second(time), second(time).plusMillis(lagMs));
    }

    /** Jobs j0.. for the times T0 + from s to T0 + to s, each run once. */
    private static List<Execution> oncePerTime(long from, long to) {
        List<Execution> executions = new ArrayList<>();
        for (long time = from; time <= to; time++) {
            executions.add(ran("j" + time, 1, time, 100));
        }
        return executions;
    }

    @Test
    void everyTimeWithOneCompletedJobIsClean() {
        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(window(0, 9)), oncePerTime(0, 9), List.of());

        assertThat(findings.violations()).isEmpty();
        ScheduleCheck.Result result = findings.schedules().get(0);
        assertThat(result.expected()).isEqualTo(10);
        assertThat(result.enqueuedOnce()).isEqualTo(10);
        assertThat(result.missing()).isEmpty();
        assertThat(result.doubled()).isEmpty();
        assertThat(result.maxLag()).contains(Duration.ofMillis(100));
    }

    @Test
    void aTimeWithoutAJobIsMissing() {
        List<Execution> executions = oncePerTime(0, 9);
        executions.removeIf(execution -> execution.job().equals("j4"));

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(window(0, 9)), executions, List.of());

        assertThat(findings.schedules().get(0).missing()).containsExactly(second(4));
        assertThat(findings.violations()).singleElement().asString()
                .contains("schedule " + ID, "1 of 10 times", "got no job (missing)", second(4).toString());
    }

    @Test
    void twoJobsForOneTimeAreDoubledButTwoExecutionsOfOneJobAreNot() {
        List<Execution> executions = oncePerTime(0, 9);
        executions.add(ran("j3", 2, 3, 100));
        executions.add(ran("another", 1, 6, 900));

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(window(0, 9)), executions, List.of());

        ScheduleCheck.Result result = findings.schedules().get(0);
        assertThat(result.doubled()).containsOnlyKeys(second(6));
        assertThat(result.enqueuedOnce()).isEqualTo(9);
        assertThat(result.executions()).isEqualTo(12);
        assertThat(result.maxLag()).contains(Duration.ofMillis(900));
        assertThat(findings.violations()).singleElement().asString().contains("enqueued twice", "another", "j6");
    }

    @Test
    void aHeldEntryIsNoJobAndAQueuedOneIsNotCompleted() {
        List<ScheduleCheck.Entry> left = List.of(
                new ScheduleCheck.Entry("held-1", ID, second(2), second(2), "held"),
                new ScheduleCheck.Entry("j9", ID, second(9), second(9), "ready"));
        List<Execution> executions = oncePerTime(0, 8);

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(window(0, 9)), executions, left);

        ScheduleCheck.Result result = findings.schedules().get(0);
        assertThat(result.heldLeft()).isEqualTo(1);
        assertThat(result.doubled()).isEmpty();
        assertThat(result.missing()).isEmpty();
        assertThat(result.notCompleted()).containsExactly("j9 (still ready)");
        assertThat(findings.violations()).singleElement().asString().contains("1 jobs never ran to completion");
    }

    @Test
    void aJobWhoseExecutionsAllEndedUnfinishedAndWhoseEntryIsGoneIsNotCompleted() {
        List<Execution> executions = oncePerTime(0, 2);
        Execution cut = executions.remove(1);
        executions.add(new Execution(cut.job(), 1, cut.worker(), cut.pid(), cut.start(), cut.deadlineAtStart(), null,
                null, null, ID, cut.scheduledAt(), cut.enqueuedAt()));

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(window(0, 2)), executions, List.of());

        assertThat(findings.schedules().get(0).notCompleted())
                .containsExactly("j1 (gone from the queue with no finished execution)");
    }

    @Test
    void aTimeOffTheGridOrBeforeTheFirstIsUnexpected() {
        List<Execution> executions = oncePerTime(0, 3);
        executions.add(ran("early", 1, -5, 0));

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(window(0, 3)), executions, List.of());

        assertThat(findings.schedules().get(0).unexpected()).containsExactly(second(-5));
        assertThat(findings.violations()).singleElement().asString().contains("not among its times");
    }

    @Test
    void aScheduleThatNeverFiredOrWhoseFiringStalledIsAViolation() {
        ScheduleCheck.Window stalled = new ScheduleCheck.Window(ID, "every PT1S", STEP, false, second(0), null,
                List.of("the times up to X were not all fired within 75 s"));

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(stalled), List.of(), List.of());

        assertThat(findings.violations()).hasSize(2)
                .anySatisfy(v -> assertThat(v).contains("were not all fired within 75 s"))
                .anySatisfy(v -> assertThat(v).contains("no time to check"));
    }

    @Test
    void aCronScheduleMustStartOnAWholeSecond() {
        ScheduleCheck.Window cron = new ScheduleCheck.Window("chaos.cron-seconds", "cron", STEP, true,
                second(0).plusMillis(750), second(2).plusMillis(750), List.of());
        List<Execution> executions = List.of();

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(cron), executions, List.of());

        assertThat(findings.violations()).anySatisfy(v -> assertThat(v).contains("is not a whole second"));
    }

    @Test
    void aJobWithoutAKnownTimeOrWithTwoTimesIsAViolation() {
        List<Execution> executions = oncePerTime(0, 1);
        Execution stale = ran("j0", 2, 0, 100);
        executions.add(new Execution("nowhen", 1, stale.worker(), stale.pid(), stale.start(), stale.deadlineAtStart(),
                stale.end(), stale.deadlineAtEnd(), Effects.DONE, ID, null, null));
        executions.add(ran("j1", 2, 5, 100));

        ScheduleCheck.Findings findings = ScheduleCheck.check(List.of(window(0, 1)), executions, List.of());

        assertThat(findings.violations())
                .anySatisfy(v -> assertThat(v).contains("without a known scheduled time", "nowhen"))
                .anySatisfy(v -> assertThat(v).contains("two different scheduled times", "j1"));
    }
}
