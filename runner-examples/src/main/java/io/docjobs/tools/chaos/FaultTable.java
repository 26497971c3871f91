package io.docjobs.tools.chaos;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bson.Document;

/**
 * The report by fault kind: how often each fault was injected, how many jobs it hit, how long
 * their redeliveries took (p50, p99, max, against the bound) and how many extra executions it
 * caused, with the cause; then what the partitions and the clock faults were checked for
 * ({@link PartitionCheck}, {@link ClockCheck}).
 *
 * @param rows         one per fault kind, in {@link Kind} order
 * @param unattributed extra executions attributed to no fault (cause other or unrecorded)
 * @param limit        the redelivery bound the delays are held to
 * @param partitions   what each partition was checked for
 * @param clocks       what the lease deadlines were checked for
 * @param clockStatus  whether the clocks were skewed, or why not
 * @param missing      network faults that were due but never came (the run ended first)
 */
record FaultTable(List<Row> rows, int unattributed, Duration limit, List<PartitionCheck.Result> partitions,
        ClockCheck.Findings clocks, String clockStatus, List<String> missing) {

    /** The fault kinds, with the cause {@link Analysis} gives an extra execution after each. */
    enum Kind {
        KILL("kill -9", Analysis.Cause.KILL),
        PAUSE("SIGSTOP", Analysis.Cause.STOP),
        DB_RESTART("database restart", Analysis.Cause.RESTART),
        LATENCY("latency spike", Analysis.Cause.LATENCY),
        DROP("dropped connections", Analysis.Cause.DROP),
        HALF_OPEN("half-open connections", Analysis.Cause.HALF_OPEN),
        PARTITION("partition", Analysis.Cause.PARTITION),
        CLOCK_SKEW("skewed clock", null),
        CLOCK_JUMP("clock jump", null);

        final String label;
        /** Null for the clocks: leases are on the database's clock, so no extra execution is theirs. */
        final Analysis.Cause cause;

        Kind(String label, Analysis.Cause cause) {
            this.label = label;
            this.cause = cause;
        }
    }

    /**
     * One fault kind's figures; the delays are empty when no redelivery was measured.
     *
     * @param jobsAffected jobs whose daemon held their lease when the fault hit (listed from the
     *                     queue), jobs redelivered after it, and for the database restart and the
     *                     clocks the jobs that ran while it was on
     * @param overLimit    redeliveries slower than the bound
     */
    record Row(Kind kind, int count, int jobsAffected, int redeliveries, Optional<Duration> p50, Optional<Duration> p99,
            Optional<Duration> max, int overLimit, int extraExecutions) {
    }

    static FaultTable of(FaultLog faults, Analysis.Findings findings, Collection<Execution> executions, Duration limit,
            List<PartitionCheck.Result> partitions, ClockCheck.Findings clocks, String clockStatus, boolean networkOn) {
        List<Row> rows = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            rows.add(row(kind, faults, findings, executions, limit));
        }
        int unattributed = findings.extraByCause().getOrDefault(Analysis.Cause.OTHER, 0)
                + findings.extraByCause().getOrDefault(Analysis.Cause.UNRECORDED, 0);
        List<String> missing = new ArrayList<>();
        if (networkOn) {
            rows.stream().filter(r -> r.kind().cause != null && r.kind().ordinal() >= Kind.LATENCY.ordinal() && r.count() == 0)
                    .forEach(r -> missing.add("no " + r.kind().label + " was injected: the run ended before it"));
        }
        return new FaultTable(rows, unattributed, limit, partitions, clocks, clockStatus, missing);
    }

    private static Row row(Kind kind, FaultLog faults, Analysis.Findings findings, Collection<Execution> executions,
            Duration limit) {
        Set<String> jobs = new HashSet<>();
        int count;
        switch (kind) {
            case KILL -> {
                count = faults.kills().size();
                faults.kills().forEach(k -> jobs.addAll(k.leasedJobs()));
            }
            case PAUSE -> {
                count = faults.stops().size();
                faults.stops().forEach(s -> jobs.addAll(s.leasedJobs()));
            }
            case DB_RESTART -> {
                count = faults.restarts().size();
                faults.restarts().forEach(r -> jobs.addAll(ranDuring(executions, r.down(), r.up())));
            }
            case CLOCK_SKEW -> {
                List<FaultLog.ClockShift> skewed = faults.clocks().stream()
                        .filter(c -> !c.jump() && !c.offset().isZero()).toList();
                count = skewed.size();
                Set<Long> pids = skewed.stream().map(FaultLog.ClockShift::pid).collect(Collectors.toSet());
                executions.stream().filter(run -> pids.contains(run.pid())).forEach(run -> jobs.add(run.job()));
            }
            case CLOCK_JUMP -> {
                List<FaultLog.ClockShift> jumps = faults.clocks().stream().filter(FaultLog.ClockShift::jump).toList();
                count = (int) jumps.stream().map(FaultLog.ClockShift::at).distinct().count();
                Optional<Instant> first = jumps.stream().map(FaultLog.ClockShift::at).min(Instant::compareTo);
                Set<Long> pids = jumps.stream().map(FaultLog.ClockShift::pid).collect(Collectors.toSet());
                first.ifPresent(at -> executions.stream().filter(run -> pids.contains(run.pid()) && !run.start().isBefore(at))
                        .forEach(run -> jobs.add(run.job())));
            }
            default -> {
                FaultLog.NetworkFault network = FaultLog.NetworkFault.valueOf(kind.name());
                List<FaultLog.Network> hits = faults.network().stream().filter(n -> n.kind() == network).toList();
                count = hits.size();
                hits.forEach(n -> jobs.addAll(n.leasedJobs()));
            }
        }
        List<Duration> delays = new ArrayList<>();
        if (kind.cause != null) {
            findings.redeliveries().stream().filter(r -> r.cause() == kind.cause).forEach(r -> {
                delays.add(r.delay());
                jobs.add(r.job());
            });
        }
        Delays summary = Delays.of(delays);
        int over = (int) delays.stream().filter(d -> d.compareTo(limit) > 0).count();
        int extra = kind.cause == null ? 0 : findings.extraByCause().getOrDefault(kind.cause, 0);
        return new Row(kind, count, jobs.size(), summary.count(), summary.p50(), summary.p99(), summary.max(), over, extra);
    }

    /** The jobs of the executions that ran at some time within {@code [from, to]}. */
    private static Set<String> ranDuring(Collection<Execution> executions, Instant from, Instant to) {
        return executions.stream().filter(run -> !run.start().isAfter(to)
                && (run.end() == null || !run.end().isBefore(from))).map(Execution::job).collect(Collectors.toSet());
    }

    /** Every broken promise the partitions and clocks show, and every fault that should have come but did not. */
    List<String> violations() {
        List<String> violations = new ArrayList<>(missing);
        partitions.forEach(p -> violations.addAll(p.violations()));
        violations.addAll(clocks.violations());
        return violations;
    }

    void print(PrintWriter out) {
        out.printf("  by fault kind         count  jobs hit  redelivered  p50 ms  p99 ms  max ms  over %s  extra executions%n",
                Analysis.millis(limit));
        for (Row r : rows) {
            out.printf("    %-20s %6d  %8d  %11d  %6s  %6s  %6s  %7d  %,d%n", r.kind().label, r.count(), r.jobsAffected(),
                    r.redeliveries(), ms(r.p50()), ms(r.p99()), ms(r.max()), r.overLimit(), r.extraExecutions());
        }
        out.printf("    %-20s %6s  %8s  %11s  %6s  %6s  %6s  %7s  %,d%n", "no fault nearby", "", "", "", "", "", "", "",
                unattributed);
        out.println("    extra executions: the cause Analysis gives each (the previous attempt's lease expired after that"
                + " fault); the clocks cause none, since leases are on the database's clock");
        for (PartitionCheck.Result p : partitions) {
            out.printf("  partition           %s (pid %d) cut off %s to %s: %d leases held, %d redelivered elsewhere;"
                    + " %d handlers ran across, %d saw isCancelled(); %d late finishes: %d acknowledgements refused,"
                    + " %d not written, %d results discarded; rejoin: %s%n", p.daemon(), p.pid(), p.from(), p.to(), p.held(),
                    p.redelivered(), p.handlersAcross(), p.handlersCancelled(), p.staleFinishes(), p.acksRefused(),
                    p.acksNotWritten(), p.resultsDiscarded(), p.rejoin());
        }
        out.printf("  clocks              %s; lease deadlines on the database's clock: %,d executions checked both ways"
                + " (%,d on moved clocks), %,d during other faults checked for length only, %d off%n", clockStatus,
                clocks.checked(), clocks.onSkewedClocks(), clocks.upperOnly(), clocks.violations().size());
    }

    private static String ms(Optional<Duration> duration) {
        return duration.map(d -> Long.toString(d.toMillis())).orElse("-");
    }

    /** The table, the partitions and the clock check as JSON for {@code chaos-summary.json}. */
    Document json() {
        List<Document> kinds = rows.stream().map(r -> {
            Document row = new Document("kind", r.kind().name().toLowerCase()).append("label", r.kind().label)
                    .append("count", r.count()).append("jobsAffected", r.jobsAffected())
                    .append("redeliveries", r.redeliveries()).append("limitMs", limit.toMillis())
                    .append("overLimit", r.overLimit()).append("extraExecutions", r.extraExecutions())
                    .append("cause", r.kind().cause == null ? "none: leases are on the database's clock"
                            : r.kind().cause.description);
            r.p50().ifPresent(d -> row.append("p50Ms", d.toMillis()));
            r.p99().ifPresent(d -> row.append("p99Ms", d.toMillis()));
            r.max().ifPresent(d -> row.append("maxMs", d.toMillis()));
            return row;
        }).toList();
        List<Document> cuts = partitions.stream().map(p -> new Document("daemon", p.daemon()).append("pid", p.pid())
                .append("from", String.valueOf(p.from())).append("to", String.valueOf(p.to())).append("leasesHeld", p.held())
                .append("redelivered", p.redelivered()).append("handlersAcross", p.handlersAcross())
                .append("handlersCancelled", p.handlersCancelled()).append("staleFinishes", p.staleFinishes())
                .append("acksRefused", p.acksRefused()).append("acksNotWritten", p.acksNotWritten())
                .append("resultsDiscarded", p.resultsDiscarded()).append("completedAfterHeal", p.completedAfterHeal())
                .append("rejoin", p.rejoin()).append("violations", p.violations())).toList();
        Document clock = new Document("status", clockStatus).append("skewedDaemons", clocks.skewedDaemons())
                .append("jumps", clocks.jumps()).append("checked", clocks.checked())
                .append("onMovedClocks", clocks.onSkewedClocks()).append("lengthOnly", clocks.upperOnly())
                .append("violations", clocks.violations());
        return new Document("kinds", kinds).append("unattributedExtraExecutions", unattributed)
                .append("partitions", cuts).append("clocks", clock);
    }
}
