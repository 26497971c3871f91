package io.docjobs;

/**
 * The database could not be reached or kept failing with transient errors (network, timeout,
 * primary step-down) after the configured retries. Safe to retry later: fenced operations never
 * apply twice, and an entry leased by a claim whose reply never arrived is redelivered when that
 * lease expires (that attempt counts).
 */
public class DatabaseUnavailableException extends DocJobsException {
    public DatabaseUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
