package io.docjobs.tools.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Checks what a partition of a daemon for longer than the visibility timeout must leave behind
 * (its redelivery delays are {@link Analysis}'s part, measured from the cut):
 *
 * <ul>
 *   <li>a handler still running when its lease expired while cut off learned that the lease was
 *       gone without a reply from the database: it saw {@code JobContext.isCancelled()} (outcome
 *       cancelled) within {@link #NOTICE} of the latest deadline a lease held at the cut can have
 *       (the cut plus one visibility timeout), or finished on its own before then; at least one
 *       was cancelled (the driver cut off the daemon running its probe job);
 *   <li>late acknowledgements were refused: every execution of the cut-off daemon that finished
 *       while another attempt of its job followed has its {@code done} logged as refused, not
 *       written, or its lease found lost ({@link DaemonLog}); an acknowledgement that left no such
 *       trace would have been accepted after the job moved on;
 *   <li>the daemon rejoined without operator action: it completed jobs after the heal, or (if no
 *       job came its way before the run ended) its log says that its claims work again; unless it
 *       was killed first.
 * </ul>
 */
final class PartitionCheck {
    /**
     * How soon after its lease expired a running handler must see its cancellation: the keeper looks
     * at least once a second, but may be waiting for an extension call to time out.
     */
    static final Duration NOTICE = Duration.ofSeconds(5);

    /**
     * The findings for one partition.
     *
     * @param held               jobs the daemon held leases on just after the cut
     * @param redelivered        of them, jobs another daemon ran after the cut
     * @param handlersAcross     executions of the daemon running at the cut that were cancelled, or still ran when
     *                           every lease it held at the cut had expired
     * @param handlersCancelled  of them, those that stopped on {@code isCancelled()}
     * @param staleFinishes      executions of the daemon that finished while a later attempt followed
     * @param acksRefused        of them, whose {@code done} the database refused
     * @param acksNotWritten     of them, whose {@code done} could not be written (the lease expired)
     * @param resultsDiscarded   of them, whose lease a heartbeat found lost first (result discarded)
     * @param completedAfterHeal executions the daemon finished after the heal
     * @param rejoin             how the rejoin was judged
     */
    record Result(String daemon, long pid, Instant from, Instant to, int held, int redelivered, int handlersAcross,
            int handlersCancelled, int staleFinishes, int acksRefused, int acksNotWritten, int resultsDiscarded,
            int completedAfterHeal, String rejoin, List<String> violations) {
    }

    private PartitionCheck() {
    }

    /**
     * @param logs what a daemon's log says, by daemon name
     */
    static List<Result> check(FaultLog faults, Collection<Execution> executions, Function<String, DaemonLog.Evidence> logs,
            Duration visibilityTimeout) {
        Map<String, List<Execution>> byJob = executions.stream().collect(Collectors.groupingBy(Execution::job));
        Optional<Instant> lastStart = executions.stream().map(Execution::start).max(Comparator.naturalOrder());
        List<Result> results = new ArrayList<>();
        for (FaultLog.Network cut : faults.network()) {
            if (cut.kind() == FaultLog.NetworkFault.PARTITION) {
                results.add(check(cut, faults, executions, byJob, logs.apply(cut.daemon()), lastStart, visibilityTimeout));
            }
        }
        return results;
    }

    private static Result check(FaultLog.Network cut, FaultLog faults, Collection<Execution> executions,
            Map<String, List<Execution>> byJob, DaemonLog.Evidence log, Optional<Instant> lastStart,
            Duration visibilityTimeout) {
        List<String> violations = new ArrayList<>();
        String who = "the partitioned daemon " + cut.daemon() + " (pid " + cut.pid() + ")";
        if (cut.to() == null) {
            violations.add("the partition of " + cut.daemon() + " never healed");
            return new Result(cut.daemon(), cut.pid(), cut.from(), null, cut.leasedJobs().size(), 0, 0, 0, 0, 0, 0, 0, 0,
                    "not healed", violations);
        }
        Instant healed = cut.to();
        int redelivered = (int) cut.leasedJobs().stream().filter(job -> byJob.getOrDefault(job, List.of()).stream()
                .anyMatch(run -> run.pid() != cut.pid() && run.start().isAfter(cut.from()))).count();
        List<Execution> mine = executions.stream().filter(run -> run.pid() == cut.pid()).toList();

        // No extension gets through a partition, so every lease the daemon held has expired by then.
        Instant expiredBy = cut.from().plus(visibilityTimeout);
        // Running at the cut, and either cancelled (at its own deadline, which may come before
        // expiredBy) or still running when every lease had expired; short jobs that simply
        // finished meanwhile tell nothing about cancellation.
        List<Execution> across = mine.stream().filter(run -> run.start().isBefore(healed) && run.end() != null
                && run.end().isAfter(cut.from()) && (!run.finished() || run.end().isAfter(expiredBy))).toList();
        int cancelled = 0;
        for (Execution run : across) {
            boolean late = run.end().isAfter(expiredBy.plus(NOTICE));
            if (!run.finished()) {
                cancelled++;
                if (late) {
                    violations.add(who + " ran " + run + ", whose lease had expired by " + expiredBy + " while cut off,"
                            + " and its handler saw isCancelled() more than " + NOTICE.toSeconds() + " s after that");
                }
            } else if (late) {
                violations.add(who + " ran " + run + " across the partition, and it finished normally more than "
                        + NOTICE.toSeconds() + " s after its lease had expired (by " + expiredBy + ", while cut off):"
                        + " it never saw isCancelled()");
            }
        }
        if (across.isEmpty()) {
            violations.add("no handler of " + who + " ran across the partition (" + cut.detail() + "): whether a handler"
                    + " sees isCancelled() after a partition was not tested");
        } else if (cancelled == 0) {
            violations.add("no handler of " + who + " that ran across the partition saw isCancelled()");
        }

        int stale = 0;
        int refused = 0;
        int notWritten = 0;
        int discarded = 0;
        for (Execution run : mine) {
            boolean followed = byJob.get(run.job()).stream()
                    .anyMatch(other -> other.pid() != cut.pid() && other.attempt() > run.attempt());
            if (!run.finished() || !followed || run.start().isAfter(healed)
                    || run.end().isBefore(cut.from().minus(visibilityTimeout))) {
                continue;
            }
            stale++;
            DaemonLog.Fate fate = log.fates().get(DaemonLog.key(run.job(), run.attempt()));
            if (fate == null) {
                violations.add(who + " finished " + run + " of job " + run.job() + ", a later attempt followed, yet its"
                        + " log shows no refused or failed acknowledgement: was a stale done accepted?");
            } else {
                switch (fate) {
                    case REFUSED -> refused++;
                    case NOT_WRITTEN -> notWritten++;
                    case LOST_WHILE_RUNNING -> discarded++;
                }
            }
        }

        List<Execution> after = mine.stream().filter(run -> run.start().isAfter(healed) && run.finished()).toList();
        String rejoin;
        Optional<FaultLog.Kill> killed = faults.kills().stream().filter(k -> k.pid() == cut.pid()).findFirst();
        Instant othersUntil = lastStart.orElse(healed);
        if (!after.isEmpty()) {
            rejoin = "completed " + after.size() + " executions after the heal";
        } else if (killed.isPresent()) {
            rejoin = "not judged: killed at " + killed.get().at();
        } else if (othersUntil.isAfter(healed.plus(visibilityTimeout.multipliedBy(2)))) {
            rejoin = "did not rejoin";
            violations.add(who + " completed no job after the partition healed at " + healed + ", though jobs ran until "
                    + othersUntil + ": it did not rejoin");
        } else if (log.claimsWorkAgain()) {
            rejoin = "its claims work again (its log says so); no job came its way before the end";
        } else {
            rejoin = "did not rejoin";
            violations.add(who + " completed no job after the partition healed at " + healed + " and its log does not say"
                    + " that its claims work again: it did not rejoin");
        }
        return new Result(cut.daemon(), cut.pid(), cut.from(), healed, cut.leasedJobs().size(), redelivered, across.size(),
                cancelled, stale, refused, notWritten, discarded, after.size(), rejoin, violations);
    }
}
