package io.docjobs;

/**
 * Base of the unchecked exceptions docjobs throws for failures that are not the caller's bad
 * arguments (those are {@link IllegalArgumentException}s). Expected outcomes such as losing a lease
 * are return values, never exceptions.
 */
public class DocJobsException extends RuntimeException {
    public DocJobsException(String message) {
        super(message);
    }

    public DocJobsException(String message, Throwable cause) {
        super(message, cause);
    }
}
