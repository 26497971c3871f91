package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** The report by fault kind. */
class FaultTableTest {
    private static final Instant T0 = Instant.parse("2030-01-01T00:00:00Z");
    private static final Duration VT = Duration.ofSeconds(5);
    private static final Analysis.Limits LIMITS = new Analysis.Limits(VT, Duration.ofMillis(250), Duration.ofSeconds(1));
    private static final ClockCheck.Findings NO_CLOCKS = new ClockCheck.Findings(0, 0, 0, 0, 0, List.of());

    private final FaultLog faults = new FaultLog();

    private static Instant at(long millis) {
        return T0.plusMillis(millis);
    }

    private static Execution run(String job, int attempt, long pid, long start) {
        return new Execution(job, attempt, "w", pid, at(start), at(start).plus(VT), at(start + 5), at(start).plus(VT),
                Effects.DONE);
    }

    private FaultTable table(List<Execution> executions, boolean networkOn) {
        Analysis.Findings findings = new Analysis(faults, LIMITS).analyse(
                executions.stream().map(Execution::job).collect(java.util.stream.Collectors.toSet()), executions, Map.of());
        return FaultTable.of(faults, findings, executions, LIMITS.redelivery(), List.of(), NO_CLOCKS, "test", networkOn);
    }

    private FaultTable.Row row(FaultTable table, FaultTable.Kind kind) {
        return table.rows().stream().filter(r -> r.kind() == kind).findFirst().orElseThrow();
    }

    @Test
    void countsEachKindWithItsJobsRedeliveryDelaysAndExtraExecutions() {
        faults.kill(new FaultLog.Kill("chaos-1", 10, at(1_000), Set.of("a", "b", "idle")));
        faults.network(new FaultLog.Network(FaultLog.NetworkFault.PARTITION, 2, "chaos-2", 20, at(1_000), at(9_000),
                Set.of("c"), "test"));
        List<Execution> executions = List.of(run("a", 1, 10, 900), run("a", 2, 11, 6_000),
                run("b", 1, 10, 950), run("b", 2, 11, 7_000), run("c", 1, 20, 800), run("c", 2, 11, 6_000),
                run("idle", 1, 11, 100));

        FaultTable table = table(executions, false);

        FaultTable.Row kill = row(table, FaultTable.Kind.KILL);
        assertThat(kill.count()).isEqualTo(1);
        assertThat(kill.jobsAffected()).isEqualTo(3);
        assertThat(kill.redeliveries()).isEqualTo(2);
        assertThat(kill.p50()).contains(Duration.ofMillis(5_000));
        assertThat(kill.max()).contains(Duration.ofMillis(6_000));
        assertThat(kill.overLimit()).isZero();
        assertThat(kill.extraExecutions()).isEqualTo(2);
        FaultTable.Row partition = row(table, FaultTable.Kind.PARTITION);
        assertThat(partition.count()).isEqualTo(1);
        assertThat(partition.max()).contains(Duration.ofMillis(5_000));
        assertThat(partition.extraExecutions()).isEqualTo(1);
        assertThat(row(table, FaultTable.Kind.CLOCK_SKEW).extraExecutions()).isZero();
        assertThat(table.violations()).isEmpty();

        Document json = table.json();
        assertThat(json.getList("kinds", Document.class)).hasSize(FaultTable.Kind.values().length)
                .anySatisfy(k -> assertThat(k).containsEntry("kind", "kill").containsEntry("p50Ms", 5_000L)
                        .containsEntry("maxMs", 6_000L).containsEntry("extraExecutions", 2));
    }

    @Test
    void aNetworkFaultThatNeverCameIsAViolationWhenTheNetworkFaultsAreOn() {
        faults.network(new FaultLog.Network(FaultLog.NetworkFault.DROP, 1, "chaos-1", 10, at(0), at(0), Set.of(), "t"));

        FaultTable table = table(List.of(run("a", 1, 10, 0)), true);

        assertThat(table.violations()).containsExactlyInAnyOrder(
                "no latency spike was injected: the run ended before it",
                "no half-open connections was injected: the run ended before it",
                "no partition was injected: the run ended before it");
    }

    @Test
    void percentilesAreNearestRank() {
        List<Duration> hundred = IntStream.rangeClosed(1, 100).mapToObj(Duration::ofMillis).toList();

        assertThat(Delays.percentile(hundred, 50)).contains(Duration.ofMillis(50));
        assertThat(Delays.percentile(hundred, 99)).contains(Duration.ofMillis(99));
        assertThat(Delays.percentile(List.of(Duration.ofMillis(7)), 99)).contains(Duration.ofMillis(7));
        assertThat(Delays.percentile(List.of(), 50)).isEmpty();
    }
}
