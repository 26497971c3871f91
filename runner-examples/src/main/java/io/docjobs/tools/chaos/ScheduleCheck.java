package io.docjobs.tools.chaos;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks the run's schedules: for every time of each schedule from its first time after the driver
 * resumed it to the last time it fired before the driver paused it, exactly one job was enqueued —
 * none missing, none twice — and every such job ran to completion at least once.
 *
 * <p>The evidence is independent of the firing code: the time of each job as the handler read it
 * from the job's own queue entry ({@code scheduledAt}, see {@link ChaosHandler}), the entries left at
 * the end, and the expected times computed here by arithmetic (both schedules fire every second), not
 * by the schedule's own {@code nextTimeAfter}. A job is known if it ran (an execution record) or is
 * still in the queue; a job cannot be completed without an execution, so a time with no known job
 * really got none. {@code held} entries are not jobs: they are firings that never committed and
 * never run (README, "Schedules"); they are counted, not matched to times.
 */
final class ScheduleCheck {
    private static final int EXAMPLES = 5;
    private static final String HELD = "held";

    /** A scheduled entry left in the queue at the end. */
    record Entry(String id, String scheduleId, Instant scheduledAt, Instant enqueuedAt, String state) {
        boolean held() {
            return HELD.equals(state);
        }
    }

    /**
     * The times a schedule was expected to fire, as the driver saw them.
     *
     * @param timing       the timing in words, for the report
     * @param step         the time between two of its times
     * @param wholeSeconds whether its times must be whole seconds (a cron expression)
     * @param first        its first time after the driver resumed it; null if unknown
     * @param last         the last time it fired for before the driver paused it; null if it never fired
     * @param problems     what went wrong while the driver started or stopped it (e.g. firing stalled)
     */
    record Window(String scheduleId, String timing, Duration step, boolean wholeSeconds, Instant first, Instant last,
            List<String> problems) {
    }

    /**
     * One schedule's figures.
     *
     * @param expected     times from first to last
     * @param enqueuedOnce expected times with exactly one job
     * @param missing      expected times with no job
     * @param doubled      expected times with more than one job, and those jobs
     * @param unexpected   times with jobs that are not among the expected ones
     * @param jobs         distinct jobs of the schedule (held entries excluded)
     * @param notCompleted jobs that did not run to completion (no finished execution, or still queued)
     * @param heldLeft     held entries left in the queue (firings that never committed)
     * @param executions   executions of the schedule's jobs (beyond one per job: {@code executions - jobs})
     * @param maxLag       the longest time from a scheduled time to its job's enqueue, if any job was seen
     * @param maxLagTime   the time that lag was measured for, or null
     */
    record Result(String scheduleId, String timing, Instant first, Instant last, int expected, int enqueuedOnce,
            List<Instant> missing, Map<Instant, Set<String>> doubled, List<Instant> unexpected, int jobs,
            List<String> notCompleted, int heldLeft, int executions, Optional<Duration> maxLag, Instant maxLagTime,
            List<String> violations) {
    }

    /** Every schedule's figures, and every violation among them. */
    record Findings(List<Result> schedules, List<String> violations) {
    }

    private ScheduleCheck() {
    }

    static Findings check(List<Window> windows, Collection<Execution> executions, Collection<Entry> remaining) {
        List<Result> results = new ArrayList<>();
        List<String> violations = new ArrayList<>();
        for (Window window : windows) {
            Result result = check(window, executions.stream().filter(e -> window.scheduleId().equals(e.scheduleId()))
                    .toList(), remaining.stream().filter(e -> window.scheduleId().equals(e.scheduleId())).toList());
            results.add(result);
            violations.addAll(result.violations());
        }
        return new Findings(results, violations);
    }

    private static Result check(Window window, List<Execution> executions, List<Entry> remaining) {
        String name = "schedule " + window.scheduleId() + " (" + window.timing() + ")";
        List<String> violations = new ArrayList<>();
        window.problems().forEach(problem -> violations.add(name + ": " + problem));

        // Each job's time, enqueue time and whether it completed.
        Map<String, Instant> timeOf = new HashMap<>();
        Map<String, Instant> enqueuedAt = new HashMap<>();
        Set<String> conflicting = new TreeSet<>();
        Set<String> finished = new HashSet<>();
        Set<String> ran = new TreeSet<>();
        for (Execution execution : executions) {
            ran.add(execution.job());
            if (execution.finished()) {
                finished.add(execution.job());
            }
            if (execution.scheduledAt() != null) {
                Instant before = timeOf.putIfAbsent(execution.job(), execution.scheduledAt());
                if (before != null && !before.equals(execution.scheduledAt())) {
                    conflicting.add(execution.job());
                }
            }
            if (execution.enqueuedAt() != null) {
                enqueuedAt.putIfAbsent(execution.job(), execution.enqueuedAt());
            }
        }
        Map<String, String> queued = new TreeMap<>();
        int heldLeft = 0;
        for (Entry entry : remaining) {
            if (entry.held()) {
                heldLeft++;
                continue;
            }
            queued.put(entry.id(), entry.state());
            if (entry.scheduledAt() != null) {
                timeOf.putIfAbsent(entry.id(), entry.scheduledAt());
            }
            if (entry.enqueuedAt() != null) {
                enqueuedAt.putIfAbsent(entry.id(), entry.enqueuedAt());
            }
        }
        if (!conflicting.isEmpty()) {
            violations.add(name + ": " + conflicting.size() + " jobs were seen with two different scheduled times, e.g. "
                    + first(conflicting));
        }
        Set<String> timeless = new TreeSet<>(ran);
        timeless.addAll(queued.keySet());
        timeless.removeAll(timeOf.keySet());
        if (!timeless.isEmpty()) {
            violations.add(name + ": " + timeless.size() + " jobs ran or are queued without a known scheduled time"
                    + " (their entry had no scheduledAt whenever it was read), e.g. " + first(timeless));
        }

        Map<Instant, Set<String>> jobsByTime = new TreeMap<>();
        timeOf.forEach((job, time) -> jobsByTime.computeIfAbsent(time, t -> new TreeSet<>()).add(job));
        Set<Instant> expected = expectedTimes(window);
        if (expected.isEmpty()) {
            violations.add(name + ": no time to check: it never fired between "
                    + window.first() + " (its first time after it was resumed) and the pause at the end");
        }
        if (window.wholeSeconds() && window.first() != null
                && !window.first().equals(window.first().truncatedTo(ChronoUnit.SECONDS))) {
            violations.add(name + ": its first time " + window.first() + " is not a whole second, as a cron time must be");
        }
        List<Instant> missing = expected.stream().filter(time -> !jobsByTime.containsKey(time)).toList();
        Map<Instant, Set<String>> doubled = new TreeMap<>();
        jobsByTime.forEach((time, jobs) -> {
            if (jobs.size() > 1 && expected.contains(time)) {
                doubled.put(time, jobs);
            }
        });
        List<Instant> unexpected = jobsByTime.keySet().stream().filter(time -> !expected.contains(time)).toList();
        if (!missing.isEmpty()) {
            violations.add(name + ": " + missing.size() + " of " + expected.size() + " times from " + window.first()
                    + " to " + window.last() + " got no job (missing), e.g. " + first(missing));
        }
        if (!doubled.isEmpty()) {
            violations.add(name + ": " + doubled.size() + " times got more than one job (enqueued twice), e.g. "
                    + first(doubled.entrySet()));
        }
        if (!unexpected.isEmpty()) {
            violations.add(name + ": jobs for " + unexpected.size() + " times that are not among its times from "
                    + window.first() + " to " + window.last() + " every " + window.step().toMillis() + " ms, e.g. "
                    + first(unexpected));
        }

        List<String> notCompleted = new ArrayList<>();
        timeOf.keySet().stream().sorted().forEach(job -> {
            if (queued.containsKey(job)) {
                notCompleted.add(job + " (still " + queued.get(job) + ")");
            } else if (!finished.contains(job)) {
                notCompleted.add(job + " (gone from the queue with no finished execution)");
            }
        });
        if (!notCompleted.isEmpty()) {
            violations.add(name + ": " + notCompleted.size() + " jobs never ran to completion, e.g. " + first(notCompleted));
        }

        Duration maxLag = null;
        Instant maxLagTime = null;
        for (Map.Entry<String, Instant> job : timeOf.entrySet()) {
            Instant enqueued = enqueuedAt.get(job.getKey());
            if (enqueued != null) {
                Duration lag = Duration.between(job.getValue(), enqueued);
                if (maxLag == null || lag.compareTo(maxLag) > 0) {
                    maxLag = lag;
                    maxLagTime = job.getValue();
                }
            }
        }
        int enqueuedOnce = (int) expected.stream().filter(time -> jobsByTime.getOrDefault(time, Set.of()).size() == 1)
                .count();
        return new Result(window.scheduleId(), window.timing(), window.first(), window.last(), expected.size(),
                enqueuedOnce, missing, doubled, unexpected, timeOf.size(), notCompleted, heldLeft, executions.size(),
                Optional.ofNullable(maxLag), maxLagTime, violations);
    }

    /** The times from first to last (both included) in steps; empty if the schedule never fired. */
    static Set<Instant> expectedTimes(Window window) {
        Set<Instant> times = new LinkedHashSet<>();
        if (window.first() == null || window.last() == null) {
            return times;
        }
        for (Instant time = window.first(); !time.isAfter(window.last()); time = time.plus(window.step())) {
            times.add(time);
        }
        return times;
    }

    private static String first(Collection<?> items) {
        List<String> shown = items.stream().limit(EXAMPLES).map(String::valueOf).toList();
        return String.join(", ", shown) + (items.size() > EXAMPLES ? ", ..." : "");
    }
}
