package io.docjobs;

import java.util.List;

/**
 * Configuration that cannot work: a malformed connection string, an unreadable CA file, an
 * unsupported server version, wrong credentials. The message names the setting, its value (with
 * credentials masked) and what is expected.
 */
public class ConfigurationException extends DocJobsException {
    private final List<String> problems;

    /** @param message the problem: the setting, its value and the rule */
    public ConfigurationException(String message) {
        this(List.of(message), null);
    }

    /**
     * A single problem with an underlying failure (an unreadable file, a refused handshake).
     *
     * @param message the problem: the setting, its value and the rule
     * @param cause   the underlying failure
     */
    public ConfigurationException(String message, Throwable cause) {
        this(List.of(message), cause);
    }

    /**
     * One exception for every problem found; the message lists them all.
     *
     * @param problems one sentence each, at least one
     * @param cause    the underlying failure, or null
     */
    public ConfigurationException(List<String> problems, Throwable cause) {
        this(problems.size() == 1 ? problems.get(0)
                : "invalid configuration:\n  - " + String.join("\n  - ", problems), problems, cause);
    }

    /**
     * For a program that reads its configuration from a source of its own (a file, the environment)
     * and frames the problems with it, as the daemon does: its own message, the same problems.
     *
     * @param message  the whole message
     * @param problems one sentence each
     * @param cause    the underlying failure, or null
     */
    protected ConfigurationException(String message, List<String> problems, Throwable cause) {
        super(message, cause);
        this.problems = List.copyOf(problems);
    }

    /** {@return every problem found, one sentence each; unmodifiable} */
    public List<String> problems() {
        return problems;
    }
}
