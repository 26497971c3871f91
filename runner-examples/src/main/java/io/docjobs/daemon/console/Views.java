package io.docjobs.daemon.console;

import io.docjobs.JobEntry;
import io.docjobs.QueueStats;
import io.docjobs.Schedules;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
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
     * @param active the navigation entry to mark: overview, jobs, dead-letters or schedules
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
     * The job search and the next jobs to be claimed.
     *
     * @param frame the frame
     * @param type  the type filter, or empty for all
     * @param next  the next READY jobs in claim order
     */
    public record Jobs(Frame frame, String type, List<JobEntry> next) {
    }

    /**
     * One job.
     *
     * @param frame   the frame
     * @param entry   the entry
     * @param payload its payload as shown
     */
    public record Job(Frame frame, JobEntry entry, Payloads payload) {
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
