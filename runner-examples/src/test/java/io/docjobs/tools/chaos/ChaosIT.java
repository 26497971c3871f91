package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short chaos run through the built jar, as a process: a database process, three daemons, 2,000
 * jobs, one kill -9, one SIGSTOP past the leases, one database restart, and two schedules firing
 * every second throughout; each daemon behind its own faulty proxy (a latency spike, dropped and
 * half-open connections, a partition past the leases) and, where libfaketime is installed, with
 * its clock two minutes fast, two minutes slow, or jumping. Among the jobs: 10 long ones (2.5 to 3
 * visibility timeouts on heartbeats, started early so that the faults hit them), 40 whose first
 * attempts fail, 4 poison ones, and the partition's probe job. It must end with exit code 0 —
 * nothing lost, every extra execution explained by an expired lease or a planned failure, every job
 * completed or (the poison ones) dead, no long job's lease expired on a healthy daemon, every
 * scheduled time enqueued exactly once, the partitioned daemon's handler cancelled and its late
 * acknowledgements refused, no lease deadline off the database's clock — and leave no process
 * behind.
 */
class ChaosIT {
    private static final Path JAR = Path.of("target", "docjobs.jar").toAbsolutePath();

    @TempDir
    Path dir;

    private Process driver;

    /** Whatever happened, nothing of this run keeps running: the driver, then anything it started. */
    @AfterEach
    void killLeftovers() {
        if (driver != null) {
            driver.descendants().forEach(ProcessHandle::destroyForcibly);
            driver.destroyForcibly();
        }
        processesOfThisRun().forEach(ProcessHandle::destroyForcibly);
    }

    @Test
    void shortChaosRunLosesNothingExplainsEveryAttemptKeepsLongJobsAliveAndFiresEveryScheduledTimeOnce() throws Exception {
        Path output = dir.resolve("chaos.out");
        Path workDir = dir.resolve("run");
        driver = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-jar", JAR.toString(),
                "chaos", "--short", "--work-dir", workDir.toString())
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile()).start();

        assertThat(driver.waitFor(4, TimeUnit.MINUTES)).as("the short run ends in time; output:%n%s", tail(output))
                .isTrue();
        String text = Files.readString(output);
        System.out.println(text.substring(Math.max(0, text.indexOf("docjobs chaos:")))); // the figures, for the build log
        assertThat(driver.exitValue()).as("exit code; output:%n%s", text).isZero();
        assertThat(text).contains("result              OK: no violation")
                .containsPattern("lost +0 ")
                .containsPattern("stuck leased +0 ")
                .contains("kill -9: 1,").contains("SIGSTOP: 1 (").contains("database restarts: 1 ")
                .contains("unexpected exits: 0");

        Document summary = Document.parse(Files.readString(workDir.resolve("chaos-summary.json")));
        assertThat(summary.getBoolean("ok")).isTrue();
        // The 2,000 jobs and the partition's probe job; the 4 poison jobs end dead, not completed.
        assertThat(summary.getInteger("enqueued")).isEqualTo(2_001);
        assertThat(summary.getInteger("completed")).isEqualTo(2_001 - 4);
        assertThat(summary.getInteger("lost")).isZero();
        Document faults = summary.get("faults", Document.class);
        assertThat(faults.getInteger("kills")).isEqualTo(1);
        assertThat(faults.getInteger("stops")).isEqualTo(1);
        assertThat(faults.getInteger("databaseRestarts")).isEqualTo(1);
        Document redelivery = summary.get("redelivery", Document.class);
        assertThat(redelivery.get("longestMs", Number.class).longValue())
                .isLessThanOrEqualTo(redelivery.get("limitMs", Number.class).longValue());

        Document outcomes = summary.get("outcomes", Document.class);
        assertThat(outcomes.getInteger("accounted")).isEqualTo(2_001);
        assertThat(outcomes.get("jobsByKind", Document.class).getInteger("probe")).isEqualTo(1);
        assertThat(outcomes.get("deadByKind", Document.class)).isEqualTo(new Document("poison", 4));
        assertThat(outcomes.getInteger("deadByDesign") + outcomes.getInteger("deadAfterFault")).isEqualTo(4);
        assertThat(outcomes.get("completedByKind", Document.class).getInteger("retry")).isEqualTo(40);
        assertThat(outcomes.get("completedByKind", Document.class).getInteger("probe")).isEqualTo(1);
        assertThat(outcomes.getInteger("plannedFailures")).as("retry jobs fail 1 or 2 attempts, poison ones 3")
                .isGreaterThanOrEqualTo(40 + 4);
        assertThat(outcomes.getInteger("unexplainedAttempts")).isZero();
        Document longJobs = summary.get("longJobs", Document.class);
        assertThat(longJobs.getInteger("jobs")).isEqualTo(10);
        assertThat(longJobs.get("leaseExtensions", Number.class).longValue()).as("heartbeats of 10 jobs of 2.5+ leases")
                .isGreaterThanOrEqualTo(10 * 4);
        assertThat(longJobs.getList("violations", String.class)).isEmpty();

        Document byKind = summary.get("byFaultKind", Document.class);
        for (Document kind : byKind.getList("kinds", Document.class)) {
            if (List.of("kill", "pause", "db_restart", "latency", "drop", "half_open", "partition")
                    .contains(kind.getString("kind"))) {
                assertThat(kind.getInteger("count")).as("%s", kind).isPositive();
            }
            assertThat(kind.getInteger("overLimit")).as("%s", kind).isZero();
        }
        List<Document> partitions = byKind.getList("partitions", Document.class);
        assertThat(partitions).singleElement().satisfies(cut -> {
            assertThat(cut.getInteger("handlersCancelled")).as("handlers that saw isCancelled(): %s", cut).isPositive();
            assertThat(cut.getList("violations", String.class)).isEmpty();
        });
        Document clocks = byKind.get("clocks", Document.class);
        if (ClockFaults.locate().isPresent()) {
            assertThat(clocks.getInteger("skewedDaemons")).as("%s", clocks).isGreaterThanOrEqualTo(3);
            assertThat(clocks.getInteger("jumps")).as("%s", clocks).isPositive();
            assertThat(clocks.getInteger("checked")).as("%s", clocks).isPositive();
        } else {
            assertThat(clocks.getString("status")).contains("NOT SKEWED: libfaketime was not found");
        }
        assertThat(clocks.getList("violations", String.class)).isEmpty();

        List<Document> schedules = summary.getList("schedules", Document.class);
        assertThat(schedules).extracting(s -> s.getString("id"))
                .containsExactly(ChaosSchedules.EVERY_SECOND, ChaosSchedules.CRON_SECONDS);
        for (Document schedule : schedules) {
            assertThat(schedule.getInteger("expected")).as("times of %s", schedule).isGreaterThan(3);
            assertThat(schedule.getInteger("enqueuedOnce")).as("times of %s", schedule)
                    .isEqualTo(schedule.getInteger("expected"));
            assertThat(schedule.getInteger("missing") + schedule.getInteger("doubled")
                    + schedule.getInteger("notCompleted")).as("%s", schedule).isZero();
        }

        assertThat(processesOfThisRun()).as("database and daemon processes still running after the run").isEmpty();
    }

    /** The database and daemons of this run: their command lines name files in its work dir. */
    private List<ProcessHandle> processesOfThisRun() {
        String marker = dir.toString();
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .filter(p -> p.info().arguments().map(args -> String.join(" ", args).contains(marker)).orElse(false))
                .filter(p -> p.pid() != ProcessHandle.current().pid())
                .toList();
    }

    private static String tail(Path output) throws java.io.IOException {
        List<String> lines = Files.readAllLines(output);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }
}
