package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.IntStream;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** The mix of chaos jobs: shares, placement, and the payload round trip the handler relies on. */
class JobKindsTest {
    private static final Duration VT = Duration.ofSeconds(5);

    private static Map<JobKinds.Kind, Integer> count(JobKinds kinds, int total) {
        Map<JobKinds.Kind, Integer> counts = new EnumMap<>(JobKinds.Kind.class);
        IntStream.range(0, total).forEach(seq -> counts.merge(kinds.of(seq).kind(), 1, Integer::sum));
        return counts;
    }

    @Test
    void theSharesOfTheDefaultMixHoldOnAHundredThousandJobs() {
        Map<JobKinds.Kind, Integer> counts = count(new JobKinds(100_000, Workload.DEFAULT, VT), 100_000);

        assertThat(counts.get(JobKinds.Kind.LONG)).isEqualTo(250);
        assertThat(counts.get(JobKinds.Kind.POISON)).isEqualTo(200);
        assertThat(counts.get(JobKinds.Kind.RETRY)).isBetween(1_900, 2_000);
    }

    @Test
    void theShortRunHasEveryKindAndItsLongJobsInTheFirstQuarter() {
        JobKinds kinds = new JobKinds(2_000, Workload.SHORT, VT);
        Map<JobKinds.Kind, Integer> counts = count(kinds, 2_000);

        assertThat(counts.get(JobKinds.Kind.LONG)).isEqualTo(10);
        assertThat(counts.get(JobKinds.Kind.POISON)).isEqualTo(4);
        assertThat(counts.get(JobKinds.Kind.RETRY)).isGreaterThan(30);
        assertThat(IntStream.range(500, 2_000).mapToObj(kinds::of)).noneMatch(j -> j.kind() == JobKinds.Kind.LONG);
    }

    @Test
    void longJobsRunSeveralVisibilityTimeoutsAndRetryJobsFailOneOrTwoAttempts() {
        JobKinds kinds = new JobKinds(100_000, Workload.DEFAULT, VT);

        assertThat(IntStream.range(0, 100_000).mapToObj(kinds::of).filter(j -> j.kind() == JobKinds.Kind.LONG)
                .map(JobKinds.Job::length)).allSatisfy(length -> assertThat(length).isBetween(VT.multipliedBy(5).dividedBy(2),
                        VT.multipliedBy(4))).contains(VT.multipliedBy(4));
        assertThat(IntStream.range(0, 100_000).mapToObj(kinds::of).filter(j -> j.kind() == JobKinds.Kind.RETRY)
                .map(JobKinds.Job::failures)).containsOnly(1, 2);
    }

    @Test
    void theHandlerReadsBackTheKindTheProducerWrote() {
        JobKinds kinds = new JobKinds(2_000, Workload.SHORT, VT);
        IntStream.range(0, 2_000).forEach(seq -> {
            JobKinds.Job job = kinds.of(seq);
            assertThat(JobKinds.Job.fromPayload(job.payload(seq))).isEqualTo(job);
        });
    }

    @Test
    void thePartitionsProbeIsItsOwnKindThatNeverFailsOnPurpose() {
        JobKinds.Job probe = JobKinds.Job.fromPayload(new Document("probe", "partition")
                .append(JobKinds.KIND_KEY, "probe").append("lingerMs", 9_000));

        assertThat(probe).isEqualTo(JobKinds.Job.PROBE);
        assertThat(probe.failsOn(1)).isFalse();
        assertThat(probe.maxAttempts()).isEqualTo(Producer.MAX_ATTEMPTS);
    }

    @Test
    void attemptsFailAsTheKindSays() {
        JobKinds.Job retry = new JobKinds.Job(JobKinds.Kind.RETRY, 2, Duration.ZERO, Duration.ZERO);
        JobKinds.Job poison = new JobKinds.Job(JobKinds.Kind.POISON, 0, Duration.ZERO, Duration.ZERO);

        assertThat(retry.failsOn(1)).isTrue();
        assertThat(retry.failsOn(2)).isTrue();
        assertThat(retry.failsOn(3)).isFalse();
        assertThat(poison.failsOn(JobKinds.POISON_MAX_ATTEMPTS)).isTrue();
        assertThat(poison.maxAttempts()).isEqualTo(JobKinds.POISON_MAX_ATTEMPTS);
        assertThat(JobKinds.Job.SHORT.failsOn(1)).isFalse();
        assertThat(poison.failure(3)).startsWith(JobKinds.PLANNED_FAILURE);
    }

    @Test
    void aMixWhoseSharesExceedTheWholeIsRefused() {
        assertThatThrownBy(() -> new Workload(0.5, 0.8, 2.5, 4, 0.4, 0.2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("together at most 1");
    }

    @Test
    void longJobsHaveTheirOwnTypeAndEveryOtherKindTheCommonOne() {
        JobKinds kinds = new JobKinds(2_000, Workload.SHORT, VT);

        assertThat(IntStream.range(0, 2_000).mapToObj(kinds::of))
                .allMatch(job -> job.type().equals(job.kind() == JobKinds.Kind.LONG ? ChaosHandler.LONG_TYPE : ChaosHandler.TYPE));
    }
}
