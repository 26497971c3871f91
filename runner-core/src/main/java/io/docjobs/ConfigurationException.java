package io.docjobs;

import java.util.List;

/**
 * Configuration that cannot work: a malformed connection string, an unreadable CA file, an
 * unsupported server version, wrong credentials. The message names the setting, its value (with
 * credentials masked) and what is expected.
 */
public class ConfigurationException extends DocJobsException {
    private final List<String> problems;

    public ConfigurationException(String message) {
        this(List.of(message), null);
    }

    public ConfigurationException(String message, Throwable cause) {
        this(List.of(message), cause);
    }

    public ConfigurationException(List<String> problems, Throwable cause) {
        super(problems.size() == 1 ? problems.get(0)
                : "invalid configuration:\n  - " + String.join("\n  - ", problems), cause);
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, one sentence each. */
    public List<String> problems() {
        return problems;
    }
}
