package io.docjobs.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny run of {@code docjobs bench}: it completes and prints every figure. No timing is asserted. */
class BenchSmokeTest {
    private static final List<String> FIGURES = List.of("framework_ratio", "peer_gain", "design_gain",
            "docjobs_jobs_per_s", "limit_jobs_per_s", "peer_jobs_per_s", "naive_jobs_per_s",
            "docjobs_round_trips_per_job", "limit_round_trips_per_job", "peer_round_trips_per_job",
            "backlog_200_w8_naive_jobs_per_s", "backlog_500_w16_docjobs_jobs_per_s", "backlog_500_w16_peer_jobs_per_s",
            "backlog_500_w16_limit_round_trips_per_job", "backlog_500_w8_docjobs_over_peer", "backlog_500_w8_docjobs_over_limit",
            "fleet_1_jobs_per_s", "fleet_4_jobs_per_s", "fleet_4_claims_lost_per_job", "fleet_4_round_trips_per_job",
            "fleet_4_extra_reads_per_claim", "enqueue_one_by_one_per_s", "enqueue_all_per_s", "enqueue_ratio",
            "latency_p50_ms", "latency_p99_ms", "latency_max_ms", "idle_latency_wakeup_p50_ms",
            "idle_latency_polling_p50_ms", "idle_commands_per_s", "heartbeat_round_trips", "warm_up_rounds",
            "throughput_jit_ms_in_measured_rounds");

    @TempDir
    Path dir;

    @Test
    void quickBenchPrintsEveryFigureAndWritesJson() throws Exception {
        StringWriter out = new StringWriter();
        Path json = dir.resolve("bench.json");

        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true),
                "bench", "--quick", "--json", json.toString());

        assertThat(code).isZero();
        for (String figure : FIGURES) {
            assertThat(out.toString()).as(figure).containsPattern("(?m)^" + figure + "=\\d");
            assertThat(Files.readString(json)).contains("\"" + figure + "\"");
        }
    }

    @Test
    void roundsRunTheLoopsInTurnsFirstInOrderThenReversedSoNoLoopIsAlwaysFirst() {
        List<String> loops = List.of("docjobs", "limit", "peer");

        assertThat(BenchCommand.inRound(loops, 1)).containsExactly("docjobs", "limit", "peer");
        assertThat(BenchCommand.inRound(loops, 2)).containsExactly("peer", "limit", "docjobs");
        assertThat(BenchCommand.inRound(loops, 3)).containsExactly("docjobs", "limit", "peer");
        assertThat(loops).as("the given order is left alone").containsExactly("docjobs", "limit", "peer");
    }
}
