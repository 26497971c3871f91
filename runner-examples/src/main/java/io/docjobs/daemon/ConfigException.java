package io.docjobs.daemon;

import io.docjobs.ConfigurationException;
import java.util.List;

/**
 * The library's {@link ConfigurationException}, framed with where the daemon read its settings: the
 * message lists every problem under the configuration's source, each naming the file (or variable),
 * the key, the value and the rule. Catching {@link ConfigurationException} catches it too.
 */
public final class ConfigException extends ConfigurationException {

    /** Every problem found in {@code source} (a file, "defaults", or a key such as {@code http.port}). */
    public ConfigException(String source, List<String> problems) {
        super("invalid configuration in " + source + ":\n  - " + String.join("\n  - ", problems), problems, null);
    }
}
