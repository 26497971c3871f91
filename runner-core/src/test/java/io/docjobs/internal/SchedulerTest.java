package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.DatabaseUnavailableException;
import io.docjobs.Schedule;
import io.docjobs.Schedules;
import io.docjobs.Schedules.Firing;
import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How long the scheduler's loop waits between rounds: a tick while times are due, else until the next one. */
class SchedulerTest {
    private static final Duration TICK = Duration.ofSeconds(1);
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));
    private final NextDue schedules = new NextDue();
    private final Scheduler scheduler = new Scheduler(schedules, clock::instant, "me", TICK, new SimpleMeterRegistry(),
            "q", List.of());

    private Duration waitAfter(List<Firing> fired) {
        return Duration.ofNanos(scheduler.waitAfter(fired));
    }

    private static List<Firing> oneFiring() {
        return List.of(new Firing("s", Instant.EPOCH, Firing.Outcome.ENQUEUED, "j", Duration.ZERO, 0));
    }

    @Test
    void afterARoundThatFiredItLooksAgainNextTickWithoutAskingWhenTheNextTimeIs() {
        assertThat(waitAfter(oneFiring())).isEqualTo(TICK);
        assertThat(schedules.asked).isZero();
    }

    @Test
    void withoutSchedulesItWaitsTenTicks() {
        assertThat(waitAfter(List.of())).isEqualTo(TICK.multipliedBy(Scheduler.IDLE_TICKS));
        assertThat(schedules.asked).isEqualTo(1);
    }

    @Test
    void itWaitsUntilTheNextTimeWithinTenTicks() {
        schedules.next = clock.instant().plusMillis(3_500);
        assertThat(waitAfter(List.of())).isEqualTo(Duration.ofMillis(3_500));

        schedules.next = clock.instant().plus(TICK.multipliedBy(Scheduler.IDLE_TICKS));
        assertThat(waitAfter(List.of())).isEqualTo(TICK.multipliedBy(Scheduler.IDLE_TICKS));

        schedules.next = clock.instant().plus(Duration.ofHours(5));
        assertThat(waitAfter(List.of())).isEqualTo(TICK.multipliedBy(Scheduler.IDLE_TICKS));
    }

    @Test
    void aTimeDueNowOrPassedIsLookedAtNextTickNotAtOnce() {
        schedules.next = clock.instant().minusSeconds(30);
        assertThat(waitAfter(List.of())).isEqualTo(TICK);

        schedules.next = clock.instant().plusMillis(200);
        assertThat(waitAfter(List.of())).isEqualTo(TICK);
    }

    @Test
    void whenTheDatabaseFailsItTriesAgainNextTick() {
        schedules.failing = true;
        assertThat(waitAfter(List.of())).isEqualTo(TICK);
    }

    /** Answers {@link #nextDue} from a field; the scheduler's other calls are not part of these tests. */
    private static final class NextDue implements Schedules {
        Instant next;
        boolean failing;
        int asked;

        @Override
        public Optional<Instant> nextDue() {
            asked++;
            if (failing) {
                throw new DatabaseUnavailableException("injected", null);
            }
            return Optional.ofNullable(next);
        }

        @Override
        public List<Firing> fireDue(String owner) {
            return new ArrayList<>();
        }

        @Override
        public Status define(Schedule schedule) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Status> list() {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<Status> get(String id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Change pause(String id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Change resume(String id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Change remove(String id) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Optional<String> trigger(String id) {
            throw new UnsupportedOperationException();
        }
    }
}
