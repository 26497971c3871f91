package io.docjobs.tools.chaos;

import io.docjobs.DeadLetterPage;
import io.docjobs.JobAdmin;
import io.docjobs.JobEntry;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.bson.Document;

/**
 * The final accounting of the producer's jobs, by kind ({@link JobKinds}): every job ended completed
 * (a finished execution, entry gone) or dead (in the queue's dead-letter listing, read through the
 * public {@link JobAdmin#deadLetters} API); dead only if it is a poison job, after exactly its
 * {@link JobKinds#POISON_MAX_ATTEMPTS} attempts, with the handler's planned failure as last error (or
 * whatever error the queue recorded when a fault cut the last attempt, or its acknowledgement, short: "its lease expired"); and every attempt explained: each
 * recorded attempt failed exactly when its kind says it should, and every execution after the first
 * is either the retry of a planned failure or has a fault as its cause ({@link Analysis#cause}) —
 * none is "lease expired with no fault nearby".
 */
final class OutcomeCheck {
    private static final int MAX_LISTED = 10;
    private static final int PAGE = 500;

    /**
     * What the accounting found.
     *
     * @param jobsByKind        enqueued jobs by kind
     * @param completedByKind   completed jobs by kind
     * @param deadByKind        dead letters by kind
     * @param deadByDesign      poison jobs dead with the handler's planned failure as last error
     * @param deadAfterFault    poison jobs dead because a fault cut their last attempt short
     * @param plannedFailures   recorded executions that failed on purpose
     * @param faultAttempts     executions after the first (or attempts skipped) explained by a fault
     * @param unexplained       executions after the first that neither a planned failure nor a fault explains
     */
    record Findings(Map<JobKinds.Kind, Integer> jobsByKind, Map<JobKinds.Kind, Integer> completedByKind,
            Map<JobKinds.Kind, Integer> deadByKind, int deadByDesign, int deadAfterFault, int plannedFailures,
            int faultAttempts, int unexplained, List<String> violations) {

        int enqueued() {
            return sum(jobsByKind);
        }

        int accounted() {
            return sum(completedByKind) + sum(deadByKind);
        }

        void print(PrintWriter out) {
            out.printf("  accounting          %,d enqueued = %,d completed + %,d dead (%s); %,d poison dead by design,"
                    + " %,d after a fault on their last attempt%n", enqueued(), sum(completedByKind), sum(deadByKind),
                    kinds(jobsByKind), deadByDesign, deadAfterFault);
            out.printf("    attempts          %,d failed on purpose (retry and poison jobs), %,d more explained by a"
                    + " fault, %,d unexplained (must be 0)%n", plannedFailures, faultAttempts, unexplained);
        }

        Document json() {
            return new Document("jobsByKind", labelled(jobsByKind)).append("completedByKind", labelled(completedByKind))
                    .append("deadByKind", labelled(deadByKind)).append("accounted", accounted())
                    .append("deadByDesign", deadByDesign).append("deadAfterFault", deadAfterFault)
                    .append("plannedFailures", plannedFailures).append("faultAttempts", faultAttempts)
                    .append("unexplainedAttempts", unexplained).append("violations", violations);
        }

        private static int sum(Map<JobKinds.Kind, Integer> counts) {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }

        private static String kinds(Map<JobKinds.Kind, Integer> counts) {
            return counts.entrySet().stream().map(e -> e.getKey().label() + " " + e.getValue())
                    .collect(Collectors.joining(", "));
        }

        private static Document labelled(Map<JobKinds.Kind, Integer> counts) {
            Document document = new Document();
            counts.forEach((kind, count) -> document.append(kind.label(), count));
            return document;
        }
    }

    private OutcomeCheck() {
    }

    /** Every dead letter of the chaos type, through the public API, page by page. */
    static List<JobEntry> deadLetters(JobAdmin admin) {
        List<JobEntry> dead = new ArrayList<>();
        String after = null;
        do {
            DeadLetterPage page = admin.deadLetters(ChaosHandler.TYPE, after, PAGE);
            dead.addAll(page.entries());
            after = page.next();
        } while (after != null);
        return dead;
    }

    /**
     * @param jobs        the producer's jobs by id, with their kinds
     * @param executions  every recorded execution (the schedules' ones are ignored)
     * @param remaining   the producer's entries left in the queue
     * @param deadLetters the dead letters as {@link #deadLetters} listed them
     * @param analysis    tells why a job ran again
     */
    static Findings check(Map<String, JobKinds.Job> jobs, Collection<Execution> executions,
            Map<String, Analysis.Entry> remaining, List<JobEntry> deadLetters, Analysis analysis) {
        Map<String, List<Execution>> byJob = executions.stream().filter(e -> jobs.containsKey(e.job()))
                .collect(Collectors.groupingBy(Execution::job));
        Map<String, JobEntry> dead = deadLetters.stream().collect(Collectors.toMap(JobEntry::id, Function.identity(),
                (a, b) -> a));
        Tally tally = new Tally();
        jobs.forEach((id, job) -> {
            List<Execution> runs = new ArrayList<>(byJob.getOrDefault(id, List.of()));
            runs.sort(Comparator.comparingInt(Execution::attempt).thenComparing(Execution::start));
            tally.job(id, job, runs, remaining.containsKey(id), dead.get(id), analysis);
        });
        List<String> violations = new ArrayList<>(tally.violations.subList(0, Math.min(MAX_LISTED, tally.violations.size())));
        if (tally.violations.size() > MAX_LISTED) {
            violations.add("... and " + (tally.violations.size() - MAX_LISTED) + " more accounting violations");
        }
        if (tally.accountedFor < jobs.size()) {
            violations.add(0, (jobs.size() - tally.accountedFor) + " of " + jobs.size()
                    + " jobs ended neither completed nor dead-lettered");
        }
        return new Findings(tally.jobsByKind, tally.completedByKind, tally.deadByKind, tally.deadByDesign,
                tally.deadAfterFault, tally.plannedFailures, tally.faultAttempts, tally.unexplained, violations);
    }

    /** The counts and violations, job by job. */
    private static final class Tally {
        final Map<JobKinds.Kind, Integer> jobsByKind = new EnumMap<>(JobKinds.Kind.class);
        final Map<JobKinds.Kind, Integer> completedByKind = new EnumMap<>(JobKinds.Kind.class);
        final Map<JobKinds.Kind, Integer> deadByKind = new EnumMap<>(JobKinds.Kind.class);
        final List<String> violations = new ArrayList<>();
        int accountedFor;
        int deadByDesign;
        int deadAfterFault;
        int plannedFailures;
        int faultAttempts;
        int unexplained;

        void job(String id, JobKinds.Job job, List<Execution> runs, boolean inQueue, JobEntry dead, Analysis analysis) {
            JobKinds.Kind kind = job.kind();
            jobsByKind.merge(kind, 1, Integer::sum);
            boolean completed = !inQueue && runs.stream().anyMatch(Execution::finished);
            String name = kind.label() + " job " + id;
            if (completed) {
                completedByKind.merge(kind, 1, Integer::sum);
                accountedFor++;
                if (kind == JobKinds.Kind.POISON) {
                    violations.add(name + " completed, but its handler fails every attempt: " + runs);
                }
            }
            if (dead != null) {
                deadByKind.merge(kind, 1, Integer::sum);
                accountedFor++;
                dead(name, job, runs, dead, analysis);
            } else if (kind == JobKinds.Kind.POISON && !completed) {
                violations.add(name + " was not dead-lettered after " + job.maxAttempts() + " failed attempts"
                        + (inQueue ? " (still in the queue)" : "") + ": " + runs);
            }
            attempts(name, job, runs, analysis);
        }

        /** A dead letter: only a poison job may be one, after all its attempts, for a reason that explains it. */
        private void dead(String name, JobKinds.Job job, List<Execution> runs, JobEntry dead, Analysis analysis) {
            String error = dead.lastError() == null ? "none" : dead.lastError().message();
            if (job.kind() != JobKinds.Kind.POISON) {
                violations.add(name + " was dead-lettered after " + dead.attempts() + " of " + dead.maxAttempts()
                        + " attempts; last error: " + error);
                return;
            }
            if (dead.attempts() != job.maxAttempts()) {
                violations.add(name + " was dead-lettered after " + dead.attempts() + " attempts, not its "
                        + job.maxAttempts() + "; last error: " + error);
            } else if (error.startsWith(JobKinds.PLANNED_FAILURE)) {
                deadByDesign++;
            } else if (lastAttemptCutShort(runs, dead.attempts())
                    || runs.stream().filter(run -> run.attempt() == dead.attempts()).anyMatch(analysis::acknowledgementCutOff)) {
                deadAfterFault++;
            } else {
                violations.add(name + " was dead-lettered for a reason neither its planned failure nor a fault explains: "
                        + error + "; executions " + runs);
            }
        }

        /**
     * Whether the last attempt left no record (the effect write failed, or the daemon died before the
     * handler started), or one that never ended or was cut short (its daemon killed or paused).
     */
        private static boolean lastAttemptCutShort(List<Execution> runs, int attempt) {
            return runs.stream().filter(run -> run.attempt() == attempt).allMatch(run -> run.end() == null
                    || Effects.CANCELLED.equals(run.outcome()));
        }

        /** Each recorded attempt failed exactly when planned; each execution after the first has a reason. */
        private void attempts(String name, JobKinds.Job job, List<Execution> runs, Analysis analysis) {
            for (Execution run : runs) {
                if (run.failed()) {
                    plannedFailures++;
                }
                boolean ended = run.finished() || run.failed();
                if (ended && run.failed() != job.failsOn(run.attempt())) {
                    violations.add(name + " attempt " + run.attempt() + (run.failed() ? " failed, but was planned to succeed"
                            : " succeeded, but was planned to fail") + ": " + run);
                }
            }
            if (!runs.isEmpty() && runs.get(0).attempt() > 1) {
                // Claimed earlier but no record: the daemon died before the handler started.
                faultAttempts += runs.get(0).attempt() - 1;
            }
            for (int i = 1; i < runs.size(); i++) {
                Analysis.Cause cause = analysis.cause(runs.get(i - 1), runs.get(i));
                if (cause == Analysis.Cause.OTHER) {
                    unexplained++;
                    violations.add(name + " ran again with neither a planned failure nor a fault to explain it: "
                            + runs.get(i - 1) + "; then " + runs.get(i));
                } else if (cause != Analysis.Cause.FAILED) {
                    faultAttempts++;
                }
            }
        }
    }
}
