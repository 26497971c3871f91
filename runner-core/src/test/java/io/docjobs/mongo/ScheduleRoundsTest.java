package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.EmbeddedMongoExtension;
import io.docjobs.QueueConfig;
import io.docjobs.Schedule;
import io.docjobs.Schedules;
import io.docjobs.Schedules.Firing;
import io.docjobs.Schedules.Firing.Outcome;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What one round of {@link ScheduleFirer} does beyond the protocol: its cap, its wake-ups, its jitter, a last time. */
class ScheduleRoundsTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private static final Instant START = Instant.parse("2026-03-28T12:00:00Z");
    private final ManualClock clock = new ManualClock(START);
    private QueueConfig config;
    private MongoJobQueue queue;
    private Schedules schedules;

    @BeforeEach
    void open() {
        config = QueueConfig.builder().collection(mongo.freshCollection()).clock(clock).serverClockSync(Duration.ZERO)
                .changeStreams(false).build();
        queue = MongoJobQueue.using(mongo.client(), config);
        schedules = queue.schedules();
    }

    @AfterEach
    void close() {
        queue.close();
    }

    @Test
    void aRoundFiresAtMostItsCapOfTimesAndTheNextRoundGoesOn() {
        schedules.define(Schedule.builder("tick", "t").interval(Duration.ofSeconds(10))
                .misfireThreshold(Duration.ofDays(1)).build());
        clock.advance(Duration.ofSeconds(10L * (ScheduleFirer.MAX_STEPS_PER_ROUND + 10)));

        List<Firing> first = schedules.fireDue("a");
        List<Firing> second = schedules.fireDue("a");

        assertThat(first).hasSize(ScheduleFirer.MAX_STEPS_PER_ROUND).allMatch(f -> f.outcome() == Outcome.ENQUEUED);
        assertThat(second).hasSize(10).allMatch(f -> f.outcome() == Outcome.ENQUEUED);
        assertThat(second.get(0).time()).isEqualTo(first.get(first.size() - 1).time().plusSeconds(10));
        assertThat(schedules.fireDue("a")).isEmpty();
    }

    @Test
    void aFiringWakesThisProcesssListenersWithItsType() {
        schedules.define(Schedule.builder("tick", "report").interval(Duration.ofSeconds(10)).build());
        List<Set<String>> heard = new CopyOnWriteArrayList<>();
        queue.onEnqueue(heard::add);

        assertThat(schedules.fireDue("a")).isEmpty();
        assertThat(heard).as("nothing fired, nothing heard").isEmpty();
        clock.advance(Duration.ofSeconds(10));
        assertThat(schedules.fireDue("a")).hasSize(1);

        assertThat(heard).containsExactly(Set.of("report"));
    }

    @Test
    void anotherSchedulerThatMakesACommittedFiringsJobReadyWakesItsListenersWithTheType() {
        schedules.define(Schedule.builder("tick", "report").interval(Duration.ofSeconds(10)).build());
        clock.advance(Duration.ofSeconds(10));
        queue.faults(Crash.before("release of scheduled job"));
        assertThatThrownBy(() -> schedules.fireDue("a")).isInstanceOf(Crash.class);
        try (MongoJobQueue other = MongoJobQueue.using(mongo.client(), config)) {
            List<Set<String>> heard = new CopyOnWriteArrayList<>();
            other.onEnqueue(heard::add);

            assertThat(other.schedules().fireDue("b")).as("nothing new is due").isEmpty();

            assertThat(heard).containsExactly(Set.of("report"));
            assertThat(other.stats().ready()).isEqualTo(1);
        }
    }

    @Test
    void completingAFiringWhoseJobIsAlreadyReadyWakesNoOne() {
        schedules.define(Schedule.builder("tick", "report").interval(Duration.ofSeconds(10)).build());
        clock.advance(Duration.ofSeconds(10));
        queue.faults(Crash.after("release of scheduled job"));
        assertThatThrownBy(() -> schedules.fireDue("a")).isInstanceOf(Crash.class);
        try (MongoJobQueue other = MongoJobQueue.using(mongo.client(), config)) {
            List<Set<String>> heard = new CopyOnWriteArrayList<>();
            other.onEnqueue(heard::add);

            assertThat(other.schedules().fireDue("b")).isEmpty();

            assertThat(heard).isEmpty();
            assertThat(other.schedules().get("tick").orElseThrow().lastJobId()).isNotNull();
            assertThat(other.stats().ready()).isEqualTo(1);
        }
    }

    @Test
    void aCronWithALastTimeFiresItThenHasNoNextTime() {
        // Quartz, with the year: noon on 28 March 2026 and never again.
        schedules.define(Schedule.builder("once", "t").cron("0 0 12 28 3 ? 2026").build());
        clock.set(START.minusSeconds(1));
        schedules.define(Schedule.builder("once-more", "t").cron("0 0 12 28 3 ? 2026").build());
        assertThat(schedules.get("once-more").orElseThrow().nextTime()).isEqualTo(START);

        clock.set(START.plusSeconds(1));
        List<Firing> fired = schedules.fireDue("a");

        assertThat(fired).singleElement().satisfies(f -> {
            assertThat(f.scheduleId()).isEqualTo("once-more");
            assertThat(f.time()).isEqualTo(START);
            assertThat(f.outcome()).isEqualTo(Outcome.ENQUEUED);
        });
        Schedules.Status status = schedules.get("once-more").orElseThrow();
        assertThat(status.nextTime()).as("no time after the last").isNull();
        assertThat(status.lastTime()).isEqualTo(START);
        clock.advance(Duration.ofDays(400));
        assertThat(schedules.fireDue("a")).isEmpty();
        assertThat(schedules.get("once").orElseThrow().nextTime()).as("defined after its last time").isNull();
    }

    @Test
    void withoutJitterAJobIsVisibleAtItsTimeOrNowIfLater() {
        Schedule plain = Schedule.builder("plain", "t").interval(Duration.ofMinutes(1)).build();

        assertThat(ScheduleFirer.visibleAt(plain, START, START.minusSeconds(5))).isEqualTo(START);
        assertThat(ScheduleFirer.visibleAt(plain, START, START.plusSeconds(5))).isEqualTo(START.plusSeconds(5));
    }

    @Test
    void jitterDelaysEachTimeByAnOffsetWithinItThatDependsOnTheScheduleAndTheTimeAlone() {
        Duration jitter = Duration.ofSeconds(30);
        Schedule a = Schedule.builder("a", "t").interval(Duration.ofMinutes(1)).jitter(jitter).build();
        Schedule b = Schedule.builder("b", "t").interval(Duration.ofMinutes(1)).jitter(jitter).build();
        Instant longAgo = START.minus(Duration.ofDays(1));
        Set<Duration> offsets = new HashSet<>();
        int differentFromB = 0;
        List<Instant> times = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            times.add(START.plus(Duration.ofMinutes(i)));
        }

        for (Instant time : times) {
            Instant at = ScheduleFirer.visibleAt(a, time, longAgo);
            Duration offset = Duration.between(time, at);
            assertThat(offset).as("offset of %s", time).isBetween(Duration.ZERO, jitter);
            assertThat(ScheduleFirer.visibleAt(a, time, longAgo)).as("the same for every scheduler").isEqualTo(at);
            offsets.add(offset);
            if (!ScheduleFirer.visibleAt(b, time, longAgo).equals(at)) {
                differentFromB++;
            }
        }

        assertThat(offsets).as("offsets spread over the window").hasSizeGreaterThan(25);
        assertThat(differentFromB).as("times another schedule is offset differently").isGreaterThan(40);
    }
}
