package io.docjobs;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The last failure recorded on an entry: what went wrong, where and when.
 *
 * @param message        the failure message (never null; may be empty)
 * @param exceptionClass the fully qualified class name of the exception, or {@code null} if none
 * @param at             when the failure was recorded (set by the queue when released)
 * @param workerId       the worker whose attempt failed (set by the queue when released)
 * @param attempt        the attempt number that failed (set by the queue when released)
 */
public record JobError(String message, @Nullable String exceptionClass, @Nullable Instant at, @Nullable String workerId, int attempt) {

    /** Longest message kept; longer messages are cut so a huge stack text cannot bloat the entry. */
    public static final int MAX_MESSAGE_LENGTH = 4_000;

    /**
     * Cuts the message to {@link #MAX_MESSAGE_LENGTH}; a null message becomes empty.
     *
     * @param message        the failure message
     * @param exceptionClass the exception's class name, or null
     * @param at             when it was recorded, or null
     * @param workerId       the failed worker, or null
     * @param attempt        the failed attempt, or 0
     */
    public JobError {
        message = message == null ? "" : truncate(message);
    }

    /**
     * {@return an error with the message and class of {@code failure}; the queue fills in time, worker and attempt}
     *
     * @param failure what the handler threw
     * @throws IllegalArgumentException if {@code failure} is null
     */
    public static JobError of(Throwable failure) {
        Bounds.notNull(failure, "failure");
        String message = failure.getMessage() == null ? failure.toString() : failure.getMessage();
        return new JobError(message, failure.getClass().getName(), null, null, 0);
    }

    /**
     * {@return an error with only a message; the queue fills in time, worker and attempt}
     *
     * @param message what went wrong
     */
    public static JobError of(String message) {
        return new JobError(message, null, null, null, 0);
    }

    private static String truncate(String text) {
        return text.length() <= MAX_MESSAGE_LENGTH ? text : text.substring(0, MAX_MESSAGE_LENGTH) + "…";
    }
}
