package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.HandlerOptions;
import io.docjobs.testing.TestLeases;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Which jobs wake the lease keeper before its next planned look: only those due sooner. */
class KeeperAlarmTest {
    private static final Instant T = Instant.parse("2026-12-01T12:00:00Z");
    private final ManualTicker ticker = new ManualTicker();
    private final Signal signal = new Signal();
    private final KeeperAlarm alarm = new KeeperAlarm(signal, ticker);

    /** A job whose 30 s lease (extension due a third in) ends at {@code deadline}, with an optional time-out. */
    private RunningJob job(Instant deadline, Duration timeout) {
        Registration registration = new Registration("email", job -> { },
                timeout == null ? HandlerOptions.DEFAULTS : HandlerOptions.builder().timeout(timeout).build());
        return new RunningJob(null, registration, TestLeases.builder().deadline(deadline)
                .visibilityTimeout(Duration.ofSeconds(30)).build(), ticker);
    }

    /** Whether {@code job} woke the keeper. */
    private boolean wakes(RunningJob job) {
        long before = signal.generation();
        alarm.watch(job);
        return signal.generation() > before;
    }

    /** The keeper looked at database time T and looks next in one second. */
    private void keeperLookedAndWaitsOneSecond() {
        alarm.looking();
        alarm.sawDatabaseTime(T);
        alarm.nextLookIn(Duration.ofSeconds(1).toNanos());
    }

    @Test
    void beforeTheKeeperPlannedAndWhileItLooksEveryJobWakesIt() {
        assertThat(wakes(job(T.plusSeconds(30), null))).as("nothing planned yet").isTrue();

        keeperLookedAndWaitsOneSecond();
        alarm.looking();

        assertThat(wakes(job(T.plusSeconds(30), null))).as("while it looks: once more, safely").isTrue();
    }

    @Test
    void aNewLeaseDueAfterTheNextLookDoesNotWakeTheKeeper() {
        keeperLookedAndWaitsOneSecond();

        // Extension due at T + 10 s: long after the look in a second.
        assertThat(wakes(job(T.plusSeconds(30), null))).isFalse();
    }

    @Test
    void aLeaseDueBeforeTheNextLookWakesTheKeeper() {
        keeperLookedAndWaitsOneSecond();

        // Deadline T + 20.5 s: its extension is due at T + 0.5 s.
        assertThat(wakes(job(T.plusMillis(20_500), null))).isTrue();
    }

    @Test
    void aDispatchedJobWhoseTimeOutEndsBeforeTheNextLookWakesTheKeeperAndAWaitingOneDoesNot() {
        keeperLookedAndWaitsOneSecond();
        RunningJob job = job(T.plusSeconds(30), Duration.ofMillis(500));

        assertThat(wakes(job)).as("claimed ahead: its time-out has not started").isFalse();
        job.dispatched();
        assertThat(wakes(job)).as("its time-out ends in half a second").isTrue();
    }

    @Test
    void theDatabaseTimeSeenIsCarriedForwardByTheTicker() {
        keeperLookedAndWaitsOneSecond();
        ticker.advance(Duration.ofSeconds(9));
        alarm.nextLookIn(Duration.ofSeconds(2).toNanos()); // next look at T + 11 s

        // Extension due at T + 10 s: before it, though 10 s after the database time last read.
        assertThat(wakes(job(T.plusSeconds(30), null))).isTrue();
    }
}
