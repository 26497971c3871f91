package io.docjobs.cli;

import picocli.CommandLine;

/**
 * {@code docjobs --version}: the version the build wrote into the jar's manifest
 * ({@code Implementation-Version}), or "development build" when run from classes (an IDE, the
 * tests) where there is no manifest; then the Java runtime, for bug reports.
 */
public final class BuildVersion implements CommandLine.IVersionProvider {
    /** Printed instead of a version when the classes do not come from a built jar. */
    public static final String DEVELOPMENT = "development build";

    @Override
    public String[] getVersion() {
        return lines(Main.class.getPackage().getImplementationVersion());
    }

    /** This build's version: the manifest's Implementation-Version, or {@link #DEVELOPMENT}. */
    public static String version() {
        return orDevelopment(Main.class.getPackage().getImplementationVersion());
    }

    static String[] lines(String implementationVersion) {
        return new String[] {
            "docjobs " + orDevelopment(implementationVersion),
            "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ") on "
                    + System.getProperty("os.name") + " " + System.getProperty("os.arch")
        };
    }

    private static String orDevelopment(String implementationVersion) {
        return implementationVersion == null || implementationVersion.isBlank() ? DEVELOPMENT : implementationVersion;
    }
}
