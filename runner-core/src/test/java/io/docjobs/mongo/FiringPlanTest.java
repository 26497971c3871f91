package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.Schedule;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The misfire decisions after long outages, where the missed times are too many to walk. */
class FiringPlanTest {
    private static final Instant DUE = Instant.parse("2026-03-28T12:00:00Z");
    private static final Instant A_DAY_LATER = DUE.plus(Duration.ofDays(1)).plusMillis(500);

    private static Schedule everySecond(Schedule.Misfire misfire) {
        return Schedule.builder("s", "t").cron("* * * * * *").misfire(misfire).build();
    }

    @Test
    void onTimeFiresTheDueTime() {
        FiringPlan plan = FiringPlan.decide(everySecond(Schedule.Misfire.skip()), DUE, DUE.plusSeconds(59));

        assertThat(plan).isEqualTo(new FiringPlan(true, DUE, DUE.plusSeconds(1), 0));
    }

    @Test
    void skipCountsUpToTheCapAndGoesOnAfterNow() {
        FiringPlan plan = FiringPlan.decide(everySecond(Schedule.Misfire.skip()), DUE, A_DAY_LATER);

        assertThat(plan).isEqualTo(new FiringPlan(false, DUE, DUE.plus(Duration.ofDays(1)).plusSeconds(1),
                FiringPlan.MAX_COUNTED));
    }

    @Test
    void fireOnceFindsTheLatestTimeBeyondTheCap() {
        FiringPlan plan = FiringPlan.decide(everySecond(Schedule.Misfire.fireOnce()), DUE, A_DAY_LATER);

        assertThat(plan.fire()).isTrue();
        assertThat(plan.time()).isEqualTo(DUE.plus(Duration.ofDays(1)));
        assertThat(plan.next()).isEqualTo(DUE.plus(Duration.ofDays(1)).plusSeconds(1));
    }

    @Test
    void catchUpSkipsToTheFirstOfTheLatestTimesBeyondTheCap() {
        FiringPlan plan = FiringPlan.decide(everySecond(Schedule.Misfire.catchUp(3)), DUE, A_DAY_LATER);

        assertThat(plan.fire()).isFalse();
        assertThat(plan.next()).isEqualTo(DUE.plus(Duration.ofDays(1)).minusSeconds(2));
    }

    @Test
    void intervalsCountMissedTimesByArithmetic() {
        Schedule every10s = Schedule.builder("s", "t").interval(Duration.ofSeconds(10))
                .misfire(Schedule.Misfire.catchUp(2)).build();

        FiringPlan plan = FiringPlan.decide(every10s, DUE, DUE.plus(Duration.ofMinutes(10)).plusSeconds(5));

        // 61 times from 12:00:00 to 12:10:00: the latest 2 fire, 59 are skipped.
        assertThat(plan).isEqualTo(new FiringPlan(false, DUE, DUE.plus(Duration.ofMinutes(10)).minusSeconds(10), 59));
        assertThat(FiringPlan.decide(every10s, DUE.plus(Duration.ofMinutes(10)).minusSeconds(10),
                DUE.plus(Duration.ofMinutes(10)).plusSeconds(5))).isEqualTo(new FiringPlan(true,
                DUE.plus(Duration.ofMinutes(10)).minusSeconds(10), DUE.plus(Duration.ofMinutes(10)), 0));
    }

    @Test
    void aCronWhoseTimesAreOverHasNoNextTime() {
        Schedule once = Schedule.builder("s", "t").cron("0 0 12 28 3 ? 2026").misfire(Schedule.Misfire.fireOnce()).build();

        FiringPlan plan = FiringPlan.decide(once, DUE, DUE.plus(Duration.ofHours(2)));

        assertThat(plan).isEqualTo(new FiringPlan(true, DUE, null, 0));
    }

    @Test
    void jitterIsTheSameOffsetOnEverySchedulerAndWithinItsBound() {
        Schedule jittered = Schedule.builder("s", "t").interval(Duration.ofMinutes(1)).jitter(Duration.ofSeconds(30)).build();

        Instant first = ScheduleFirer.visibleAt(jittered, DUE, DUE);
        assertThat(first).isEqualTo(ScheduleFirer.visibleAt(jittered, DUE, DUE)).isBetween(DUE, DUE.plusSeconds(30));
        assertThat(ScheduleFirer.visibleAt(jittered, DUE, DUE.plusSeconds(40))).isEqualTo(DUE.plusSeconds(40));
        assertThat(ScheduleFirer.visibleAt(everySecond(Schedule.Misfire.skip()), DUE, DUE)).isEqualTo(DUE);
    }
}
