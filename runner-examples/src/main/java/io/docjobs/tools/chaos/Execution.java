package io.docjobs.tools.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bson.Document;

/**
 * One recorded execution of a chaos job (a document of {@link Effects#COLLECTION}).
 *
 * @param end     when the work ended, or null if it never did (the daemon was killed)
 * @param outcome {@link Effects#DONE}, {@link Effects#CANCELLED}, {@link Effects#FAILED}, or null with {@code end}
 * @param scheduleId  the schedule that enqueued the job, or null for the producer's jobs
 * @param scheduledAt the time the schedule enqueued the job for, or null (not scheduled, or the
 *                    entry was gone when the handler looked)
 * @param enqueuedAt  when a scheduled job was enqueued (database time), or null
 * @param longRun     what the handler of a long job saw of its lease (figures of the end only if it ended), or null
 */
record Execution(String job, int attempt, String worker, long pid, Instant start, Instant deadlineAtStart,
        Instant end, Instant deadlineAtEnd, String outcome, String scheduleId, Instant scheduledAt, Instant enqueuedAt,
        LongRun longRun) {

    /**
     * A long job's lease as its handler saw it (see {@link LeaseWatch}).
     *
     * @param minSlack  the smallest slack of an extension, null if none; negative: the lease had expired
     * @param sinceLastExtension from the last extension seen (or the start) to the end of the work; null if it never ended
     * @param leaseLost whether the lease was lost when the work ended
     * @param resumedFrom the progress earlier executions had saved, from which this one resumed
     */
    record LongRun(int extensions, Duration minSlack, Duration sinceLastExtension, boolean leaseLost,
            Duration resumedFrom) {
    }

    /** An execution of a job that is not long. */
    Execution(String job, int attempt, String worker, long pid, Instant start, Instant deadlineAtStart, Instant end,
            Instant deadlineAtEnd, String outcome, String scheduleId, Instant scheduledAt, Instant enqueuedAt) {
        this(job, attempt, worker, pid, start, deadlineAtStart, end, deadlineAtEnd, outcome, scheduleId, scheduledAt,
                enqueuedAt, null);
    }

    /** An execution of one of the producer's jobs. */
    Execution(String job, int attempt, String worker, long pid, Instant start, Instant deadlineAtStart, Instant end,
            Instant deadlineAtEnd, String outcome) {
        this(job, attempt, worker, pid, start, deadlineAtStart, end, deadlineAtEnd, outcome, null, null, null);
    }

    static Execution from(Document document) {
        return new Execution(document.getString(Effects.JOB), document.getInteger(Effects.ATTEMPT),
                document.getString(Effects.WORKER), ((Number) document.get(Effects.PID)).longValue(),
                instant(document.getDate(Effects.START)), instant(document.getDate(Effects.DEADLINE_AT_START)),
                instant(document.getDate(Effects.END)), instant(document.getDate(Effects.DEADLINE_AT_END)),
                document.getString(Effects.OUTCOME), document.getString(Effects.SCHEDULE_ID),
                instant(document.getDate(Effects.SCHEDULED_AT)), instant(document.getDate(Effects.ENQUEUED_AT)),
                longRun(document));
    }

    private static LongRun longRun(Document document) {
        Duration resumedFrom = millis(document, Effects.RESUMED_FROM_MS);
        if (resumedFrom == null) {
            return null;
        }
        Number extensions = (Number) document.get(Effects.EXTENSIONS);
        return new LongRun(extensions == null ? 0 : extensions.intValue(), millis(document, Effects.MIN_SLACK_MS),
                millis(document, Effects.SINCE_LAST_EXTENSION_MS), Boolean.TRUE.equals(document.getBoolean(Effects.LEASE_LOST)),
                resumedFrom);
    }

    private static Duration millis(Document document, String field) {
        Number millis = (Number) document.get(field);
        return millis == null ? null : Duration.ofMillis(millis.longValue());
    }

    /** Whether a schedule enqueued the job. */
    boolean scheduled() {
        return scheduleId != null;
    }

    private static Instant instant(Date date) {
        return date == null ? null : date.toInstant();
    }

    /** Whether the handler finished its work and returned normally (the supervisor then acknowledged it). */
    boolean finished() {
        return Effects.DONE.equals(outcome);
    }

    /** Whether the handler failed the attempt on purpose (see {@link JobKinds}). */
    boolean failed() {
        return Effects.FAILED.equals(outcome);
    }

    /**
     * The latest lease deadline the handler saw: a lower bound of the lease's real deadline (a
     * heartbeat after the handler ended can only have moved it later).
     */
    Instant knownDeadline() {
        return deadlineAtEnd != null ? deadlineAtEnd : deadlineAtStart;
    }

    @Override
    public String toString() {
        return "attempt " + attempt + " by " + worker + " from " + start + (end == null ? " (never ended)" : " to " + end);
    }
}
