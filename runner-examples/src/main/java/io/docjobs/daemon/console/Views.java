package io.docjobs.daemon.console;

import io.docjobs.AuditRecord;
import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.QueueStats;
import io.docjobs.Schedules;
import io.docjobs.SupervisorInfo;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What each page template is given (one record per template in {@code src/main/jte}), and the
 * formatting the templates share. Public because the precompiled templates live in jte's package.
 */
public final class Views {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'")
            .withZone(ZoneOffset.UTC);

    private Views() {
    }

    /**
     * What every page shows around its content.
     *
     * @param title  the page title
     * @param active the navigation entry to mark: overview, jobs, dead-letters, schedules or daemons
     * @param writes whether write actions are enabled (a token is configured)
     */
    public record Frame(String title, String active, boolean writes) {
    }

    /**
     * The overview page.
     *
     * @param frame the frame
     * @param stats the counts per type (read at most every two seconds)
     */
    public record Overview(Frame frame, QueueStats stats) {
    }

    /**
     * The dead-letter page.
     *
     * @param frame   the frame
     * @param type    the type filter, or empty for all
     * @param after   the cursor this page starts after, or empty for the first page
     * @param entries the dead letters of this page, newest first
     * @param next    the cursor of the next (older) page, or null when none follows
     */
    public record DeadLetters(Frame frame, String type, String after, List<JobEntry> entries, @Nullable String next) {
    }

    /**
     * The job list.
     *
     * @param frame    the frame
     * @param state    the state filter ({@code ready}, {@code leased}, {@code dead}), or empty for all
     * @param type     the type filter, or empty for all
     * @param order    {@code newest} or {@code claim}
     * @param dedupKey the dedup-key filter, or empty
     * @param entries  the jobs of this page
     * @param first    the query string of the first page when this is a later one, else null
     * @param next     the query string of the next page, or null when none follows
     */
    public record Jobs(Frame frame, String state, String type, String order, String dedupKey, List<JobEntry> entries,
            @Nullable String first, @Nullable String next) {
    }

    /**
     * One job.
     *
     * @param frame       the frame
     * @param entry       the entry
     * @param payload     its payload as shown
     * @param errors      its attempts' errors, newest first
     * @param audit       what operators did to it, newest first
     * @param cancelledBy who asked to cancel its running attempt, or null
     * @param delayed     whether it is READY but visible only later (database time)
     */
    public record Job(Frame frame, JobEntry entry, Payloads payload, List<JobError> errors, List<AuditRecord> audit,
            @Nullable String cancelledBy, boolean delayed) {
    }

    /**
     * The daemons working the queue.
     *
     * @param frame       the frame
     * @param supervisors every supervisor in the registry, ordered by id
     */
    public record Daemons(Frame frame, List<SupervisorInfo> supervisors) {
    }

    /**
     * The schedules.
     *
     * @param frame     the frame
     * @param schedules every schedule of the queue
     */
    public record ScheduleList(Frame frame, List<Schedules.Status> schedules) {
    }

    /**
     * An error page.
     *
     * @param frame  the frame
     * @param status the HTTP status
     * @param error  what is wrong
     * @param hint   what to do
     */
    public record Error(Frame frame, int status, String error, String hint) {
    }

    /**
     * {@return the errors of the entry's attempts, newest first}
     *
     * @param entry the entry
     */
    public static List<JobError> errorsNewestFirst(JobEntry entry) {
        List<JobError> errors = new ArrayList<>(entry.errors());
        if (errors.isEmpty() && entry.lastError() != null) {
            errors.add(entry.lastError()); // an entry failed before docjobs kept a history
        }
        Collections.reverse(errors);
        return errors;
    }

    /**
     * {@return how an error reads in one line: its class, if any, and message}
     *
     * @param error the error
     */
    public static String error(JobError error) {
        return (error.exceptionClass() == null ? "" : error.exceptionClass() + ": ") + error.message();
    }

    /**
     * {@return a time as {@code 2026-12-01 02:03:04Z}, or empty}
     *
     * @param instant the time, or null
     */
    public static String time(@Nullable Instant instant) {
        return instant == null ? "" : TIME.format(instant);
    }

    /**
     * {@return a duration in the largest fitting unit: {@code 850 ms}, {@code 12 s}, {@code 3 min}, {@code 2 h}}
     *
     * @param duration the duration
     */
    public static String age(Duration duration) {
        long millis = duration.toMillis();
        if (millis < 1000) {
            return millis + " ms";
        } else if (millis < 120_000) {
            return millis / 1000 + " s";
        } else if (millis < 7_200_000) {
            return millis / 60_000 + " min";
        }
        return millis / 3_600_000 + " h";
    }

    /**
     * {@return {@code text} encoded for a URL's query}
     *
     * @param text the value
     */
    public static String q(String text) {
        return java.net.URLEncoder.encode(text, java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * {@return the state's name, or {@code unknown} for a state none of ready, leased and dead}
     *
     * @param entry the entry
     */
    public static String state(JobEntry entry) {
        return entry.state() == null ? "unknown" : entry.state().name();
    }
}
