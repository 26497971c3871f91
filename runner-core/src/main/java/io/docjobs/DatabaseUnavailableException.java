package io.docjobs;

import org.jspecify.annotations.Nullable;

/**
 * The database could not be reached or kept failing with transient errors (network, timeout,
 * primary step-down) after the configured retries. Safe to retry later: fenced operations never
 * apply twice, and an entry leased by a claim whose reply never arrived is redelivered when that
 * lease expires (that attempt counts).
 */
public class DatabaseUnavailableException extends DocJobsException {
    /**
     * Unavailable, with no context beyond the message.
     *
     * @param message what failed and how long it was tried
     * @param cause   the last driver error, or null
     */
    public DatabaseUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }

    /**
     * An operation that found the database unavailable.
     *
     * @param message what failed and how long it was tried; names what {@code context} holds
     * @param cause   the last driver error, or null
     * @param context the operation, queue and job, as far as known
     */
    public DatabaseUnavailableException(String message, @Nullable Throwable cause, Context context) {
        super(message, cause, context);
    }
}
