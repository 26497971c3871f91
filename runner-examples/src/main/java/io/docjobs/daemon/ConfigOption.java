package io.docjobs.daemon;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --config} option the commands that read the configuration share (a picocli mixin). */
final class ConfigOption {
    /** The configuration file read when {@code --config} is not given, if it exists. */
    static final String DEFAULT_CONFIG = "config/docjobs.yaml";

    @Option(names = "--config", paramLabel = "PATH",
            description = "configuration file (default: " + DEFAULT_CONFIG + " if it exists)")
    Path config;

    DaemonConfig load() {
        boolean given = config != null;
        return new ConfigLoader(System.getenv()).load(given ? config : Path.of(DEFAULT_CONFIG), given);
    }
}
