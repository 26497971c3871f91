package io.docjobs.tools.chaos;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bson.Document;
import org.bson.json.JsonWriterSettings;

/**
 * The outcome of a chaos run: the analysis's findings, the faults injected, and every violation.
 * Printed for people, written as JSON ({@code chaos-summary.json}) for tools.
 *
 * @param endReason       why the run ended ("all jobs done", "--max-duration passed", a driver error)
 * @param schedules       the check of the run's schedules: every time enqueued exactly once
 * @param stuckLeased     LEASED entries whose deadline had passed more than the grace before the end
 * @param stopProblems    processes that did not exit 0 on the final SIGTERM, with their exit codes
 * @param driverErrors    failures of the driver itself (a fault it could not inject, ...)
 * @param outcomes        the final accounting: every job completed or dead, its attempts explained
 * @param longJobs        the long jobs' figures and checks
 * @param faultTable      the figures by fault kind, and the partitions' and clocks' checks
 */
record Report(ChaosSettings settings, Duration elapsed, String endReason, boolean allDone, Analysis.Findings findings,
        ScheduleCheck.Findings schedules, long stuckLeased, FaultLog faults, int failedBatches,
        Map<String, Integer> stopProblems, List<String> driverErrors, Analysis.Limits limits,
        OutcomeCheck.Findings outcomes, LongJobCheck.Findings longJobs, FaultTable faultTable) {

    /** What the schedule line counts, for the report. */
    static final String SCHEDULE_DEFINITION = "times expected = every time from the schedule's first after the"
            + " driver resumed it to the last it fired for before the driver paused it at the end; a time is enqueued"
            + " once if exactly one job carries it (scheduledAt as the handler read it from the job's entry, or of an"
            + " entry left in the queue); held entries (firings that never committed, never run) are not jobs; lag ="
            + " enqueue time minus scheduled time";

    /** Every broken promise, and every way the run failed to test what it should have. */
    List<String> violations() {
        List<String> violations = new ArrayList<>(findings.violations());
        violations.addAll(schedules.violations());
        violations.addAll(outcomes.violations());
        violations.addAll(longJobs.violations());
        if (stuckLeased > 0) {
            violations.add(stuckLeased + " entries stuck LEASED more than " + Analysis.millis(settings.stuckGrace())
                    + " past their deadline at the end");
        }
        if (!allDone) {
            violations.add(String.format("not all jobs completed when the run ended (%s): %,d of %,d completed, %,d still"
                    + " in the queue, %,d never enqueued", endReason, findings.completed(), settings.jobs(),
                    findings.inQueue(), settings.jobs() - producerJobsEnqueued()));
        }
        faults.exits().forEach(exit -> violations.add("process " + exit.name() + " (pid " + exit.pid()
                + ") exited on its own with code " + exit.exitCode() + "; see its log"));
        faults.restarts().stream().filter(r -> r.exitCode() != 0).forEach(r -> violations.add(
                "the database did not close cleanly on SIGTERM (exit code " + r.exitCode() + ")"));
        stopProblems.forEach((name, code) -> violations.add(name + " exited with " + code + " on the final SIGTERM"));
        if (faults.kills().isEmpty() && settings.maxKills() > 0) {
            violations.add("no daemon was killed: the run ended before the first kill");
        }
        if (settings.pauseDaemon() && faults.stops().isEmpty()) {
            violations.add("no daemon was paused: the run ended before the pause");
        }
        if (settings.restartDatabase() && faults.restarts().isEmpty()) {
            violations.add("the database was not restarted: the run ended before the restart");
        }
        violations.addAll(faultTable.violations());
        driverErrors.forEach(error -> violations.add("driver error: " + error));
        return violations;
    }

    void print(PrintWriter out) {
        Analysis.Findings f = findings;
        out.println();
        out.printf("docjobs chaos: %,d jobs, %d daemons x (%d slots + %d for long jobs), visibility timeout %s, kill -9 every %s%n",
                settings.jobs(), settings.daemons(), settings.slots(), settings.longSlots(), Analysis.millis(settings.visibilityTimeout()),
                Analysis.millis(settings.killEvery()));
        out.printf("  run time            %.1f s (%s)%n", elapsed.toMillis() / 1000.0, endReason);
        out.printf("  jobs enqueued       %,d%n", f.enqueued());
        out.printf("  completed           %,d   (distinct jobs with a finished execution whose entry is gone)%n", f.completed());
        out.printf("  lost                %,d   (enqueued, neither completed nor in the queue; must be 0)%n", f.lost().size());
        out.printf("  still in queue      %,d   %s%n", f.inQueue(), f.inQueueByState());
        out.printf("  executions          %,d   (beyond one per job: %,d; the schedules' jobs included)%n", f.executions(), f.extraExecutions());
        f.extraByCause().forEach((cause, count) -> out.printf("    %,6d  %s%n", count, cause.description));
        if (f.firstRecordedLater() > 0) {
            out.printf("  jobs whose first recorded execution was a later attempt: %,d (earlier claims left no record:"
                    + " their daemon died before the handler started, or the effect write failed)%n", f.firstRecordedLater());
        }
        if (f.staleFinishes() > 0) {
            out.printf("  stale executions    %,d   (finished after the next attempt had started; their acknowledgement"
                    + " is refused: the lease had moved on)%n", f.staleFinishes());
        }
        if (!f.unknownJobs().isEmpty()) {
            out.printf("  entries from enqueue batches that failed and were sent again: %,d%n", f.unknownJobs().size());
        }
        outcomes.print(out);
        longJobs.print(out);
        schedules.schedules().forEach(r -> out.printf("  schedule            %s (%s): %,d times expected, %,d enqueued once,"
                + " %,d missing, %,d doubled, max lag %s; %,d jobs, %,d executions, %,d not completed, %,d held left%n",
                r.scheduleId(), r.timing(), r.expected(), r.enqueuedOnce(), r.missing().size(), r.doubled().size(),
                r.maxLag().map(Analysis::millis).orElse("-"), r.jobs(), r.executions(), r.notCompleted().size(),
                r.heldLeft()));
        if (!schedules.schedules().isEmpty()) {
            out.println("    " + SCHEDULE_DEFINITION);
        }
        out.printf("  stuck leased        %,d   (LEASED more than %s past their deadline at the end; must be 0)%n",
                stuckLeased, Analysis.millis(settings.stuckGrace()));
        out.printf("  faults              kill -9: %d, SIGSTOP: %d%s, database restarts: %d%s, unexpected exits: %d%n",
                faults.kills().size(), faults.stops().size(), faults.stops().stream()
                        .map(st -> " (" + st.daemon() + " held " + st.leasedJobs().size() + " leases)").reduce("", String::concat),
                faults.restarts().size(), restartTimes(), faults.exits().size());
        f.longestRedelivery().ifPresentOrElse(r -> out.printf(
                "  longest redelivery  %s of %,d measured (limit %s; job %s attempt %d, cause %s); longest by cause: %s%n",
                Analysis.millis(r.delay()), f.redeliveriesMeasured(), Analysis.millis(limits.redelivery()), r.job(),
                r.attempt(), r.cause().name().toLowerCase(), byCause(f)),
                () -> out.println("  longest redelivery  none measured"));
        out.println("    " + Analysis.REDELIVERY_DEFINITION);
        longJobRedeliveries().ifPresent(text -> out.println("  long jobs' redelivery " + text));
        faultTable.print(out);
        if (failedBatches > 0) {
            out.printf("  enqueue batches that failed and were sent again: %d%n", failedBatches);
        }
        List<String> violations = violations();
        if (violations.isEmpty()) {
            out.println("  result              OK: no violation");
        } else {
            out.printf("  result              %d VIOLATIONS:%n", violations.size());
            violations.forEach(v -> out.println("    - " + v));
        }
        out.flush();
    }

    private String restartTimes() {
        return faults.restarts().isEmpty() ? "" : " (down for " + faults.restarts().stream()
                .map(r -> Analysis.millis(Duration.between(r.down(), r.up()))).toList() + ")";
    }

    private static String byCause(Analysis.Findings f) {
        StringBuilder text = new StringBuilder();
        f.longestByCause().forEach((cause, delay) -> text.append(text.length() == 0 ? "" : ", ")
                .append(cause.name().toLowerCase()).append(' ').append(Analysis.millis(delay)));
        return text.toString();
    }

    /** The faults with their times, so that a reader can line them up with the daemons' logs. */
    private Document faultsJson() {
        return new Document("kills", faults.kills().size()).append("stops", faults.stops().size())
                .append("databaseRestarts", faults.restarts().size()).append("unexpectedExits", faults.exits().size())
                .append("killed", faults.kills().stream().map(k -> new Document("daemon", k.daemon()).append("pid", k.pid())
                        .append("at", k.at().toString()).append("leasesHeld", k.leasedJobs().size())).toList())
                .append("stopped", faults.stops().stream().map(st -> new Document("daemon", st.daemon()).append("pid", st.pid())
                        .append("stoppedAt", st.stoppedAt().toString())
                        .append("resumedAt", String.valueOf(st.resumedAt())).append("leasesHeld", st.leasedJobs().size())).toList())
                .append("restarted", faults.restarts().stream().map(r -> new Document("down", r.down().toString())
                        .append("up", r.up().toString()).append("downMs", Duration.between(r.down(), r.up()).toMillis())
                        .append("oldProcessExitCode", r.exitCode())).toList())
                .append("exited", faults.exits().stream().map(e -> new Document("process", e.name()).append("pid", e.pid())
                        .append("exitCode", e.exitCode()).append("noticedAt", e.noticedAt().toString())).toList());
    }

    /** Each schedule's figures, with a few of the times that went wrong. */
    private List<Document> schedulesJson() {
        return schedules.schedules().stream().map(r -> {
            Document schedule = new Document("id", r.scheduleId()).append("timing", r.timing())
                    .append("first", String.valueOf(r.first())).append("last", String.valueOf(r.last()))
                    .append("expected", r.expected()).append("enqueuedOnce", r.enqueuedOnce())
                    .append("missing", r.missing().size()).append("doubled", r.doubled().size())
                    .append("unexpected", r.unexpected().size()).append("jobs", r.jobs())
                    .append("executions", r.executions()).append("notCompleted", r.notCompleted().size())
                    .append("heldLeft", r.heldLeft())
                    .append("missingTimes", r.missing().stream().limit(100).map(String::valueOf).toList())
                    .append("doubledTimes", r.doubled().keySet().stream().limit(100).map(String::valueOf).toList());
            r.maxLag().ifPresent(lag -> schedule.append("maxLagMs", lag.toMillis())
                    .append("maxLagTime", String.valueOf(r.maxLagTime())));
            return schedule;
        }).toList();
    }

    /** Writes the summary as JSON; returns the file. */
    Path writeJson(Path file) throws IOException {
        Analysis.Findings f = findings;
        Document causes = new Document();
        f.extraByCause().forEach((cause, count) -> causes.append(cause.name().toLowerCase(), count));
        Document longestByCause = new Document();
        f.longestByCause().forEach((cause, delay) -> longestByCause.append(cause.name().toLowerCase(), delay.toMillis()));
        Document redelivery = new Document("definition", Analysis.REDELIVERY_DEFINITION)
                .append("limitMs", limits.redelivery().toMillis()).append("measured", f.redeliveriesMeasured())
                .append("byCauseMs", longestByCause);
        Delays longDelays = longJobDelays();
        if (longDelays.count() > 0) {
            redelivery.append("longJobs", new Document("measured", longDelays.count())
                    .append("p50Ms", longDelays.p50().orElseThrow().toMillis())
                    .append("p99Ms", longDelays.p99().orElseThrow().toMillis())
                    .append("maxMs", longDelays.max().orElseThrow().toMillis()));
        }
        f.longestRedelivery().ifPresent(r -> redelivery.append("longestMs", r.delay().toMillis()).append("job", r.job())
                .append("attempt", r.attempt()).append("cause", r.cause().name().toLowerCase()));
        Document json = new Document("settings", new Document("jobs", settings.jobs()).append("daemons", settings.daemons())
                .append("slotsPerDaemon", settings.slots()).append("longSlotsPerDaemon", settings.longSlots()).append("visibilityTimeoutMs", settings.visibilityTimeout().toMillis())
                .append("killEveryMs", settings.killEvery().toMillis()).append("idleBackoffCapMs", settings.backoffCap().toMillis())
                .append("marginMs", settings.margin().toMillis()).append("maxDurationMs", settings.maxDuration().toMillis()))
                .append("runTimeMs", elapsed.toMillis()).append("endReason", endReason)
                .append("enqueued", f.enqueued()).append("completed", f.completed()).append("lost", f.lost().size())
                .append("lostIds", f.lost().subList(0, Math.min(100, f.lost().size())))
                .append("inQueue", new Document(Map.copyOf(f.inQueueByState())))
                .append("executions", f.executions()).append("extraExecutions", f.extraExecutions())
                .append("extraExecutionsByCause", causes).append("firstRecordedLaterAttempt", f.firstRecordedLater())
                .append("staleFinishes", f.staleFinishes())
                .append("stuckLeased", stuckLeased)
                .append("faults", faultsJson())
                .append("redelivery", redelivery).append("byFaultKind", faultTable.json())
                .append("failedEnqueueBatches", failedBatches)
                .append("schedules", schedulesJson())
                .append("outcomes", outcomes.json()).append("longJobs", longJobs.json())
                .append("violations", violations()).append("ok", violations().isEmpty());
        return Files.writeString(file, json.toJson(JsonWriterSettings.builder().indent(true).build()) + "\n");
    }

    /** The jobs of the producer's sequence that were enqueued: the partition's probe is one more, outside it. */
    private int producerJobsEnqueued() {
        return findings.enqueued() - outcomes.jobsByKind().getOrDefault(JobKinds.Kind.PROBE, 0);
    }

    /** The long jobs' redelivery delays, which wait for a capped slot. */
    private Delays longJobDelays() {
        return Delays.of(findings.longJobRedeliveries().stream().map(Analysis.Redelivery::delay).toList());
    }

    /** The long jobs' redelivery delays as a line of the report: count, p50, p99, max. */
    private Optional<String> longJobRedeliveries() {
        Delays delays = longJobDelays();
        if (delays.count() == 0) {
            return Optional.empty();
        }
        return Optional.of(String.format("%,d measured, p50 %s, p99 %s, max %s (not held to the limit: a redelivered"
                + " long job waits for one of its type's capped slots)", delays.count(),
                Analysis.millis(delays.p50().orElseThrow()), Analysis.millis(delays.p99().orElseThrow()),
                Analysis.millis(delays.max().orElseThrow())));
    }
}
