package io.docjobs.daemon;

/**
 * The exit codes of the {@code docjobs} commands, shared by the daemon's commands and the tools
 * so that every command means the same by the same number: 0 success; 1 unexpected failure; 2
 * invalid configuration or usage; 3 the database could not be reached; 4 the job named is not there
 * in the state the command needs.
 */
public final class ExitCodes {
    public static final int FAILURE = 1;
    public static final int CONFIG = 2;
    public static final int UNAVAILABLE = 3;
    /**
     * The job named does not exist or is not in the state the command needs (e.g. {@code dead
     * requeue ID} of an id that is no dead letter, or whose dedup key an unfinished job holds);
     * nothing was changed.
     */
    public static final int NOT_FOUND = 4;

    private ExitCodes() {
    }
}
