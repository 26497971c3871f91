package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Schedule definitions: their times (in zones with daylight-saving changes) and their validation. */
class ScheduleTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static List<Instant> times(Schedule schedule, String from, int count) {
        List<Instant> times = new ArrayList<>();
        Instant at = Instant.parse(from);
        for (int i = 0; i < count; i++) {
            at = schedule.nextTimeAfter(at).orElseThrow();
            times.add(at);
        }
        return times;
    }

    private static List<Instant> instants(String... values) {
        return java.util.Arrays.stream(values).map(Instant::parse).toList();
    }

    @Test
    void aDailyTimeSkippedBySpringForwardFiresOnceWhenTheGapEnds() {
        Schedule nightly = Schedule.builder("nightly", "report").cron("30 2 * * *").zone(BERLIN).build();

        // 02:30 CET, then 2026-03-29 02:30 does not exist: 03:00 CEST (01:00Z), then 02:30 CEST.
        assertThat(times(nightly, "2026-03-28T00:00:00Z", 3))
                .isEqualTo(instants("2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"));
    }

    @Test
    void timesInsideTheSpringForwardGapFireOnceTogether() {
        Schedule quarterly = Schedule.builder("q", "t").cron("*/15 * * * *").zone(BERLIN).build();

        // 01:45 CET, then 02:00-02:45 local do not exist: one firing at 03:00 CEST, then 03:15 CEST.
        assertThat(times(quarterly, "2026-03-29T00:40:00Z", 3))
                .isEqualTo(instants("2026-03-29T00:45:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z"));
    }

    @Test
    void aRepeatedLocalTimeFiresOnceAtItsFirstOccurrence() {
        Schedule nightly = Schedule.builder("nightly", "report").cron("30 2 * * *").zone(BERLIN).build();

        // 2026-10-25 02:30 happens twice (00:30Z in CEST, 01:30Z in CET): only the first fires.
        assertThat(times(nightly, "2026-10-24T12:00:00Z", 3))
                .isEqualTo(instants("2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z", "2026-10-27T01:30:00Z"));
    }

    @Test
    void theRepeatedHourFiresOnlyInItsFirstPass() {
        Schedule quarterly = Schedule.builder("q", "t").cron("*/15 * * * *").zone(BERLIN).build();

        // 02:45 CEST (00:45Z); the second 02:00-02:45 (CET, 01:00Z-01:45Z) is skipped; then 03:00 CET.
        assertThat(times(quarterly, "2026-10-25T00:40:00Z", 2))
                .isEqualTo(instants("2026-10-25T00:45:00Z", "2026-10-25T02:00:00Z"));
        // A scheduler that starts inside the second pass waits for 03:00 CET as well.
        assertThat(times(quarterly, "2026-10-25T01:10:00Z", 1)).isEqualTo(instants("2026-10-25T02:00:00Z"));
    }

    @Test
    void readsUnixSpringAndQuartzExpressions() {
        // Unix: 09:00 on weekdays (1-5 = Monday-Friday). 2026-12-04 is a Friday.
        assertThat(times(Schedule.builder("u", "t").cron("0 9 * * 1-5").build(), "2026-12-04T10:00:00Z", 1))
                .isEqualTo(instants("2026-12-07T09:00:00Z"));
        // Spring, seconds first: every 20 seconds.
        assertThat(times(Schedule.builder("s", "t").cron("*/20 * * * * *").build(), "2026-12-04T10:00:05Z", 2))
                .isEqualTo(instants("2026-12-04T10:00:20Z", "2026-12-04T10:00:40Z"));
        // Quartz: noon on Mondays, where 2 is Monday.
        assertThat(times(Schedule.builder("q", "t").cron("0 0 12 ? * 2").build(), "2026-12-04T10:00:00Z", 1))
                .isEqualTo(instants("2026-12-07T12:00:00Z"));
        // Quartz with a year: none after it.
        assertThat(Schedule.builder("y", "t").cron("0 0 12 1 1 ? 2020").build().nextTimeAfter(Instant.parse("2026-01-01T00:00:00Z")))
                .isEmpty();
    }

    @Test
    void cronTimesAreWholeSecondsWhateverTheFractionOfTheStart() {
        Schedule minutely = Schedule.builder("m", "t").cron("* * * * *").build();

        assertThat(times(minutely, "2026-12-04T10:00:00.750Z", 2))
                .isEqualTo(instants("2026-12-04T10:01:00Z", "2026-12-04T10:02:00Z"));
        assertThat(times(minutely, "2026-12-04T10:00:59.999Z", 1)).isEqualTo(instants("2026-12-04T10:01:00Z"));
    }

    @Test
    void intervalsRunOnTheInstantLine() {
        Schedule every90 = Schedule.builder("i", "t").interval(Duration.ofMinutes(90)).zone(BERLIN).build();

        assertThat(times(every90, "2026-03-29T00:30:00Z", 2)).isEqualTo(instants("2026-03-29T02:00:00Z", "2026-03-29T03:30:00Z"));
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        Schedule schedule = Schedule.builder("id", "type").interval(Duration.ofMinutes(1)).build();

        assertThat(schedule.zone()).isEqualTo(ZoneId.of("Z"));
        assertThat(schedule.misfire()).isEqualTo(Schedule.Misfire.skip());
        assertThat(schedule.overlap()).isEqualTo(Schedule.Overlap.ALLOW);
        assertThat(schedule.misfireThreshold()).isEqualTo(Schedule.DEFAULT_MISFIRE_THRESHOLD);
        assertThat(schedule.jitter()).isZero();
        assertThat(schedule.payloadText()).isEmpty();
        assertThat(schedule.paused()).isFalse();
        assertThat(schedule.toBuilder().build()).isEqualTo(schedule);
    }

    @Test
    void anInvalidCronNamesTheScheduleTheFieldAndTheDialects() {
        assertThatThrownBy(() -> Schedule.builder("nightly", "report").cron("61 * * * *").build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("schedule \"nightly\": cron was \"61 * * * *\" but must be a cron expression: Unix (5 fields");
        assertThatThrownBy(() -> Schedule.builder("nightly", "report").cron("* * *").build())
                .hasMessageContaining("cron was \"* * *\"").hasMessageContaining("it has 3 fields");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        ConfigurationException e = (ConfigurationException) org.assertj.core.api.Assertions.catchThrowable(() ->
                Schedule.builder("bad id!", " ").interval(Duration.ZERO).zone("Mars/Olympus").jitter(Duration.ofDays(2))
                        .maxAttempts(0).build());

        assertThat(e.problems()).containsExactly(
                "schedule \"bad id!\": zone was \"Mars/Olympus\" but must be a time zone id such as Europe/Berlin or UTC"
                        + " (Unknown time-zone ID: Mars/Olympus)",
                "schedule \"bad id!\": id was \"bad id!\" but must be 1-100 letters, digits, '.', '_', '-' or ':'",
                "schedule \"bad id!\": type was \" \" but must be a non-blank job type of at most 200 characters",
                "schedule \"bad id!\": interval was PT0S but must be between PT1S and PT8784H (366 days)",
                "schedule \"bad id!\": maxAttempts was 0 but must be at least 1",
                "schedule \"bad id!\": jitter was PT48H but must be at most PT24H (1 day)");
    }

    @Test
    void cronAndIntervalAreExclusive() {
        assertThatThrownBy(() -> new Schedule("x", "t", "* * * * *", Duration.ofMinutes(1), null, null, null, 0, null,
                null, null, null, null, null, false))
                .hasMessage("schedule \"x\": cron was \"* * * * *\" and interval was PT1M but exactly one of them must be set");
        assertThatThrownBy(() -> Schedule.builder("x", "t").build())
                .hasMessage("schedule \"x\": cron was null and interval was null but exactly one of them must be set");
    }

    @Test
    void misfirePoliciesCheckTheirMaximum() {
        assertThat(Schedule.Misfire.catchUp(3)).hasToString("CATCH_UP(3)");
        assertThat(Schedule.Misfire.fireOnce()).hasToString("FIRE_ONCE");
        assertThatThrownBy(() -> Schedule.Misfire.catchUp(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("misfire max was 0 but must be between 1 and 1000 for CATCH_UP");
        assertThatThrownBy(() -> new Schedule.Misfire(Schedule.Misfire.Policy.SKIP, 2))
                .hasMessage("misfire max was 2 but must be 0 for SKIP");
    }
}
