package io.docjobs;

/**
 * Thrown by a handler (or as the cause of what it throws) for a failure no retry can fix, such as
 * a malformed payload: the job is dead-lettered at once instead of being retried.
 */
public class NonRetryableException extends RuntimeException {
    /** @param message what is wrong with the job, kept as its last error */
    public NonRetryableException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong with the job, kept as its last error
     * @param cause   the underlying failure
     */
    public NonRetryableException(String message, Throwable cause) {
        super(message, cause);
    }
}
