package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** How deep a supervisor claims ahead, from claim durations and jobs finished, fed by hand. */
class ClaimDepthTest {
    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    /** Claims of {@code claimMs} each, {@code finishedPerClaim} jobs finished between one claim's end and the next. */
    private static void feed(ClaimDepth depth, int claims, long claimMs, long gapMs, int finishedPerClaim, boolean full) {
        long t = 1_000 * MS;
        long finished = 0;
        for (int i = 0; i < claims; i++) {
            depth.claimed(t, t + claimMs * MS, finished, full);
            t += (claimMs + gapMs) * MS;
            finished += finishedPerClaim;
        }
    }

    /** The depth when no job finished since the last claim ended. */
    private static int depthOf(ClaimDepth depth) {
        return depth.jobs(0, 0);
    }

    @Test
    void nothingIsClaimedAheadBeforeAJobFinishedAfterTheFirstClaim() {
        ClaimDepth depth = ClaimDepth.measured(64);
        assertThat(depth.jobs(5 * MS, 0)).isZero();

        depth.claimed(0, 10 * MS, 0, true);

        assertThat(depth.jobs(10 * MS, 0)).as("one claim tells its duration, not the rate").isZero();
        assertThat(depth.jobs(30 * MS, 0)).as("nothing finished since: no rate yet").isZero();
    }

    @Test
    void afterTheFirstClaimTheJobsFinishedSinceItEndedTellTheRate() {
        ClaimDepth depth = ClaimDepth.measured(64);
        depth.claimed(0, 10 * MS, 0, true);

        // 8 jobs in the 20 ms since the claim ended: 0.4 jobs/ms; 4 claims of 10 ms: 16.
        assertThat(depth.jobs(30 * MS, 8)).isEqualTo(16);
        // Long jobs: one in the 10 s since.
        assertThat(depth.jobs(10 * MS + 10_000 * MS, 1)).isZero();
        assertThat(depth.jobs(10 * MS, 8)).as("no time since the claim ended: no rate").isZero();
    }

    @Test
    void fromTheSecondClaimOnTheRateIsTheOneMeasuredBetweenClaims() {
        ClaimDepth depth = ClaimDepth.measured(64);
        depth.claimed(0, 10 * MS, 0, true);
        depth.claimed(20 * MS, 30 * MS, 8, true); // 8 jobs in 20 ms: 0.4 jobs/ms

        assertThat(depth.jobs(31 * MS, 1_000)).as("not what finished since the last claim").isEqualTo(16);
    }

    @Test
    void shortJobsAreClaimedAheadAsManyAsFinishDuringFourClaims() {
        ClaimDepth depth = ClaimDepth.measured(64);

        // 10 ms claims, one every 20 ms, 8 jobs finished in between: 0.4 jobs/ms, 4 x 10 ms x 0.4 = 16.
        feed(depth, 5, 10, 10, 8, true);

        assertThat(depthOf(depth)).isEqualTo(16);
    }

    @Test
    void twoClaimsEndingAtTheSameInstantTellNoRate() {
        ClaimDepth depth = ClaimDepth.measured(64);

        depth.claimed(0, 10 * MS, 0, true);
        depth.claimed(0, 10 * MS, 5, true);

        assertThat(depthOf(depth)).as("no interval, no rate (not an infinite one)").isZero();
    }

    @Test
    void aRateOfZeroIsAMeasurementThatLaterOnesAreAveragedWith() {
        ClaimDepth depth = ClaimDepth.measured(64);
        depth.claimed(0, 10 * MS, 0, true);
        depth.claimed(20 * MS, 30 * MS, 0, true); // nothing finished: a rate of 0

        depth.claimed(40 * MS, 50 * MS, 20, true); // 20 in 20 ms: 1 job/ms

        // Average 0 + 0.3 x (1 - 0) = 0.3 jobs/ms; 4 claims of 10 ms: 12.
        assertThat(depthOf(depth)).isEqualTo(12);
    }

    @Test
    void theDepthIsCappedByThePrefetch() {
        ClaimDepth depth = ClaimDepth.measured(5);

        feed(depth, 5, 10, 10, 8, true);

        assertThat(depthOf(depth)).isEqualTo(5);
    }

    @Test
    void jobsLongNextToAClaimAreNotClaimedAhead() {
        ClaimDepth depth = ClaimDepth.measured(64);

        // 5 ms claims, 8 jobs finished every 10 s: far less than one job finishes during a claim.
        feed(depth, 5, 5, 10_000, 8, true);

        assertThat(depthOf(depth)).isZero();
    }

    @Test
    void aClaimThatGotFewerThanItAskedForStopsTheClaimingAheadUntilOneGetsAll() {
        ClaimDepth depth = ClaimDepth.measured(64);
        feed(depth, 5, 10, 10, 8, true);
        assertThat(depthOf(depth)).isPositive();

        depth.claimed(200 * MS, 210 * MS, 100, false);
        assertThat(depthOf(depth)).as("the queue is draining: leave its tail to the fleet").isZero();

        depth.claimed(220 * MS, 230 * MS, 108, true);
        assertThat(depthOf(depth)).isPositive();
    }

    @Test
    void aChangeOfWorkloadMovesTheDepthWithinAFewClaims() {
        ClaimDepth depth = ClaimDepth.measured(64);
        feed(depth, 5, 10, 10, 8, true);

        feed(depth, 12, 10, 10_000, 8, true);

        assertThat(depthOf(depth)).as("jobs became long").isZero();
    }

    @Test
    void aPrefetchOfZeroNeverClaimsAheadAndAFixedDepthIsAlwaysItself() {
        ClaimDepth none = ClaimDepth.measured(0);
        feed(none, 5, 10, 10, 8, true);
        assertThat(depthOf(none)).isZero();

        ClaimDepth fixed = ClaimDepth.fixed(3);
        assertThat(depthOf(fixed)).isEqualTo(3);
        feed(fixed, 5, 5, 10_000, 8, false);
        assertThat(depthOf(fixed)).isEqualTo(3);

        assertThatThrownBy(() -> ClaimDepth.measured(-1)).hasMessageContaining("max was -1");
    }
}
