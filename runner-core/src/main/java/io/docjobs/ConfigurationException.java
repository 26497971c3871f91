package io.docjobs;

import java.util.List;

/**
 * Configuration that cannot work: a malformed connection string, an unreadable CA file, an
 * unsupported server version, wrong credentials. The message names the setting, its value (with
 * credentials masked) and what is expected.
 */
public class ConfigurationException extends DocJobsException {
    private final List<String> problems;

    /** A single problem. */
    public ConfigurationException(String message) {
        this(List.of(message), null);
    }

    /** A single problem, caused by {@code cause} (an unreadable file, a refused handshake). */
    public ConfigurationException(String message, Throwable cause) {
        this(List.of(message), cause);
    }

    /** One exception for every problem found, one sentence each; the message lists them all. */
    public ConfigurationException(List<String> problems, Throwable cause) {
        this(problems.size() == 1 ? problems.get(0)
                : "invalid configuration:\n  - " + String.join("\n  - ", problems), problems, cause);
    }

    /**
     * For a program that reads its configuration from a source of its own (a file, the environment)
     * and frames the problems with it, as the daemon does: its own message, the same problems.
     */
    protected ConfigurationException(String message, List<String> problems, Throwable cause) {
        super(message, cause);
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, one sentence each. */
    public List<String> problems() {
        return problems;
    }
}
