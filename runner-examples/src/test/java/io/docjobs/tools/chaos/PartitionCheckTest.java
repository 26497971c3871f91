package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What a partition of a daemon past its leases must leave behind. */
class PartitionCheckTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration VT = Duration.ofSeconds(5);
    private static final long CUT = 10;
    private static final long OTHER = 11;

    private final FaultLog faults = new FaultLog();
    private final Map<String, DaemonLog.Fate> fates = new HashMap<>();
    private final List<Execution> executions = new ArrayList<>();
    private boolean claimsWorkAgain = true;

    private static Instant at(long millis) {
        return T0.plusMillis(millis);
    }

    private void ran(String job, int attempt, long pid, long start, long end, String outcome) {
        executions.add(new Execution(job, attempt, "w", pid, at(start), at(start).plus(VT), at(end), at(start).plus(VT),
                outcome));
    }

    private List<PartitionCheck.Result> check() {
        return PartitionCheck.check(faults, executions, daemon -> daemon.equals("chaos-1")
                ? new DaemonLog.Evidence(fates, claimsWorkAgain) : DaemonLog.Evidence.NONE, VT);
    }

    /** Daemon CUT is cut off from 1 s to 10 s holding the probe p and job a. */
    @BeforeEach
    void partition() {
        faults.network(new FaultLog.Network(FaultLog.NetworkFault.PARTITION, 1, "chaos-1", CUT, at(1_000), at(10_000),
                Set.of("p", "a"), "holding the probe job p"));
    }

    /** Everything as it should be: the probe cancelled, a's late done refused, work again after the heal. */
    private void healthyRun() {
        ran("p", 1, CUT, 500, 7_000, Effects.CANCELLED); // its lease expired by 6 s, while still cut off
        ran("p", 2, OTHER, 6_100, 6_200, Effects.DONE);
        ran("a", 1, CUT, 900, 1_200, Effects.DONE);
        fates.put(DaemonLog.key("a", 1), DaemonLog.Fate.REFUSED);
        ran("a", 2, OTHER, 6_000, 6_010, Effects.DONE);
        ran("b", 1, CUT, 12_000, 12_005, Effects.DONE);
        ran("c", 1, OTHER, 30_000, 30_005, Effects.DONE);
    }

    @Test
    void aHealthyPartitionPassesAndIsCounted() {
        healthyRun();

        PartitionCheck.Result result = check().get(0);

        assertThat(result.violations()).isEmpty();
        assertThat(result.held()).isEqualTo(2);
        assertThat(result.redelivered()).isEqualTo(2);
        assertThat(result.handlersAcross()).isEqualTo(1);
        assertThat(result.handlersCancelled()).isEqualTo(1);
        assertThat(result.staleFinishes()).isEqualTo(1);
        assertThat(result.acksRefused()).isEqualTo(1);
        assertThat(result.completedAfterHeal()).isEqualTo(1);
    }

    @Test
    void aLateFinishWhoseAcknowledgementLeftNoTraceIsAViolation() {
        healthyRun();
        fates.clear();

        assertThat(check().get(0).violations()).singleElement().asString().contains("stale done accepted");
    }

    @Test
    void aHandlerThatRanAcrossAndFinishedNormallyLongAfterTheHealNeverSawItsCancellation() {
        healthyRun();
        executions.remove(0);
        ran("p", 1, CUT, 500, 16_000, Effects.DONE);

        assertThat(check().get(0).violations()).anySatisfy(v -> assertThat(v).contains("never saw isCancelled()"));
    }

    @Test
    void aHandlerCancelledAtItsOwnDeadlineBeforeTheLatestPossibleOneCounts() {
        healthyRun();
        executions.remove(0);
        ran("p", 1, CUT, 500, 5_900, Effects.CANCELLED); // its last extension set a deadline before 6 s

        PartitionCheck.Result result = check().get(0);

        assertThat(result.violations()).isEmpty();
        assertThat(result.handlersCancelled()).isEqualTo(1);
    }

    @Test
    void aHandlerThatSawItsCancellationOnlyLongAfterItsLeaseExpiredIsAViolation() {
        healthyRun();
        executions.remove(0);
        ran("p", 1, CUT, 500, 11_500, Effects.CANCELLED); // the heal at 10 s, not the deadline, told it

        assertThat(check().get(0).violations()).singleElement().asString()
                .contains("saw isCancelled() more than 5 s after that");
    }

    @Test
    void aHandlerThatFinishedOnItsOwnSoonAfterItsLeaseExpiredNeedNotHaveSeenTheCancellation() {
        healthyRun();
        ran("long", 1, CUT, 200, 6_500, Effects.DONE);

        assertThat(check().get(0).violations()).isEmpty();
    }

    @Test
    void aPartitionNoHandlerRanAcrossTestedNothingAndSaysSo() {
        healthyRun();
        executions.remove(0);

        assertThat(check().get(0).violations()).singleElement().asString().contains("was not tested");
    }

    @Test
    void aDaemonThatCompletesNothingAfterTheHealWhileOthersWorkOnDidNotRejoin() {
        healthyRun();
        executions.removeIf(run -> run.job().equals("b"));

        assertThat(check().get(0).violations()).singleElement().asString().contains("did not rejoin");
    }

    @Test
    void aDaemonWithNoJobAfterTheHealRejoinedIfItsClaimsWorkAgain() {
        healthyRun();
        executions.removeIf(run -> run.job().equals("b") || run.job().equals("c"));

        assertThat(check().get(0).violations()).isEmpty();
        assertThat(check().get(0).rejoin()).contains("claims work again");

        claimsWorkAgain = false;
        assertThat(check().get(0).violations()).singleElement().asString().contains("did not rejoin");
    }

    @Test
    void aDaemonKilledAfterTheHealIsNotJudgedOnItsRejoin() {
        healthyRun();
        executions.removeIf(run -> run.job().equals("b"));
        faults.kill(new FaultLog.Kill("chaos-1", CUT, at(10_500), Set.of()));

        PartitionCheck.Result result = check().get(0);

        assertThat(result.violations()).isEmpty();
        assertThat(result.rejoin()).startsWith("not judged: killed");
    }
}
