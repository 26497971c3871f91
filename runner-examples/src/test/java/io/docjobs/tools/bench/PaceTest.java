package io.docjobs.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** A run's jobs per second, from completions reported at given instants (nanoseconds, by hand). */
class PaceTest {
    private static final long S = 1_000_000_000L;

    @Test
    void aRunThatDrainedItsBacklogCountsAllItsJobsOverAllItsTime() {
        Pace pace = new Pace(0, 3 * S, 10);
        pace.completedAt(10, S / 2);
        pace.completedAt(100, 2 * S);

        assertThat(pace.perSecond(100, 2 * S, false)).isCloseTo(50, within(1e-9));
    }

    @Test
    void aRunCutOffByItsCapCountsItsSteadyRateSoWhatItHeldInFlightAtTheCapWeighsOnNoLoop() {
        // Two loops at the same 100 jobs/s once running; one holds 60 jobs in flight, the other 4.
        Pace deep = new Pace(0, 3 * S, 64);
        deep.completedAt(64, S);          // its pipeline filled: 64 completed at 1 s
        deep.completedAt(264, 3 * S);     // 200 more in the 2 s to the cap
        Pace shallow = new Pace(0, 3 * S, 64);
        shallow.completedAt(64, S / 2);
        shallow.completedAt(314, 3 * S);  // 250 in 2.5 s

        assertThat(deep.perSecond(264, 3 * S, true)).isCloseTo(100, within(1e-9));
        assertThat(shallow.perSecond(314, 3 * S, true)).isCloseTo(100, within(1e-9));
    }

    @Test
    void completionsAfterTheCapAreNotCountedInACutOffRun() {
        Pace pace = new Pace(0, 2 * S, 10);
        pace.completedAt(10, S);
        pace.completedAt(110, 2 * S);
        pace.completedAt(500, 2 * S + 1); // acks of what was claimed before the cap, arriving after it

        assertThat(pace.perSecond(500, 3 * S, true)).isCloseTo(100, within(1e-9));
    }

    @Test
    void aCutOffRunThatNeverSettledCountsWhatItCompletedByTheCapOverTheCap() {
        Pace pace = new Pace(0, 2 * S, 1_000);
        pace.completedAt(30, S);
        pace.completedAt(50, 2 * S);

        assertThat(pace.perSecond(50, 2 * S, true)).isCloseTo(25, within(1e-9));
    }
}
