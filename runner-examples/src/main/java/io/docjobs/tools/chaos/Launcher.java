package io.docjobs.tools.chaos;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts {@code docjobs} subcommands as separate processes: the same java binary that runs this JVM
 * and the jar this class was loaded from, so the children run exactly the code under test.
 */
final class Launcher {
    /**
     * Child JVM options. Five JVMs share the machine (two cores in CI): serial GC, so that parallel
     * GC threads do not fight over them, and only the C1 compiler, which starts up in a fraction
     * of the CPU time (a replacement daemon is up sooner after a kill) and is fast enough for a
     * workload bound by database round trips. A small heap keeps the footprint modest.
     */
    private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx384m");

    private final String java;
    private final Path jar;
    private final Path workDir;

    private Launcher(String java, Path jar, Path workDir) {
        this.java = java;
        this.jar = jar;
        this.workDir = workDir;
    }

    /**
     * Finds the java binary and the docjobs jar.
     *
     * @throws IllegalStateException if this code was not loaded from a jar (e.g. from target/classes)
     */
    static Launcher locate(Class<?> anchor, Path workDir) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Path jar;
        try {
            java.security.CodeSource source = anchor.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                throw new URISyntaxException(anchor.getName(), "no code source location");
            }
            jar = Path.of(source.getLocation().toURI());
        } catch (URISyntaxException | SecurityException e) {
            throw new IllegalStateException("cannot tell which jar " + anchor.getName() + " was loaded from: " + e);
        }
        if (!Files.isRegularFile(jar) || !jar.toString().endsWith(".jar")) {
            throw new IllegalStateException("the chaos run starts its database and daemons from the docjobs jar, but "
                    + anchor.getName() + " was loaded from " + jar + "; run it as java -jar docjobs.jar chaos");
        }
        return new Launcher(java, jar, workDir);
    }

    /**
     * Starts {@code docjobs <arguments>} in the work directory, logging into {@code <name>.log}
     * there; it is ready when it prints a line containing {@code readyMarker}.
     */
    ChildProcess start(String name, Map<String, String> environment, String readyMarker, String... arguments) {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(JVM_OPTIONS);
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(arguments));
        return ChildProcess.start(name, command, environment, workDir, workDir.resolve(name + ".log"), readyMarker);
    }

    Path jar() {
        return jar;
    }
}
