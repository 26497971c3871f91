package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobHandlerProvider;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.bson.Document;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handlers deployed as jars in the handler directory, without rebuilding docjobs: a provider
 * compiled and packaged at test time (so it is on no classpath of this build) is discovered through
 * its {@code META-INF/services} entry, and the daemon runs its jobs.
 */
class HandlerJarTest {
    private static final String JAR_TYPE = "jar.touch";
    private static final String PROVIDER = "jarhandlers.TouchFileProvider";
    private static final String EXPLODING_PROVIDER = "jarhandlers.ExplodingProvider";

    /** Writes the job's id into the file named by the payload's "file" field. */
    private static final String PROVIDER_SOURCE = """
            package jarhandlers;

            import io.docjobs.JobHandler;
            import io.docjobs.JobHandlerProvider;
            import java.nio.file.Files;
            import java.nio.file.Path;

            public final class TouchFileProvider implements JobHandlerProvider {
                @Override
                public String type() {
                    return "%s";
                }

                @Override
                public JobHandler handler() {
                    return job -> Files.writeString(Path.of(job.payloadDocument().getString("file")), job.id());
                }
            }
            """.formatted(JAR_TYPE);

    private static final String EXPLODING_SOURCE = """
            package jarhandlers;

            import io.docjobs.JobHandler;
            import io.docjobs.JobHandlerProvider;

            public final class ExplodingProvider implements JobHandlerProvider {
                public ExplodingProvider() {
                    throw new IllegalStateException("licence key missing");
                }

                @Override
                public String type() {
                    return "jar.exploding";
                }

                @Override
                public JobHandler handler() {
                    return job -> { };
                }
            }
            """;

    /** Compiled once for all tests: javac's first run in a JVM takes seconds. */
    @TempDir
    static Path build;

    private static Path touchHandlers;
    private static Path explodingHandlers;

    @TempDir
    Path dir;

    @BeforeAll
    static void compileAndPackageProviders() throws IOException {
        Path classes = compile(Map.of(PROVIDER, PROVIDER_SOURCE, EXPLODING_PROVIDER, EXPLODING_SOURCE));
        touchHandlers = handlerDirectoryWithJar("touch", classes, PROVIDER);
        explodingHandlers = handlerDirectoryWithJar("exploding", classes, EXPLODING_PROVIDER);
    }

    @Test
    void givenAProviderJarInTheHandlerDirectory_whenLoadingHandlers_thenItsTypeIsDiscoveredFromTheJar() throws Exception {
        ClassLoader parent = HandlerJarTest.class.getClassLoader();
        assertThatThrownBy(() -> Class.forName(PROVIDER, false, parent))
                .as("the provider is only in the jar, not on the test classpath")
                .isInstanceOf(ClassNotFoundException.class);

        Map<String, HandlerLoader.Loaded> loaded = HandlerLoader.load(config(touchHandlers), parent);

        assertThat(loaded).containsKey(JAR_TYPE);
        assertThat(loaded.get(JAR_TYPE).origin()).isEqualTo("provider " + PROVIDER);
        assertThat(loaded.get(JAR_TYPE).handler().getClass().getClassLoader())
                .as("loaded from the jar by the handler directory's class loader")
                .isNotSameAs(parent);
    }

    @Test
    void givenAProviderJarInTheHandlerDirectory_whenTheDaemonRuns_thenItsJobsAreDone() throws Exception {
        DaemonConfig config = config(touchHandlers);
        Path marker = dir.resolve("touched.txt");
        EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
        Daemon daemon;
        try {
            daemon = Daemon.start(config, HandlerLoader.load(config, HandlerJarTest.class.getClassLoader()), database);
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        try (daemon) { // closes the database too
            JobQueue queue = daemon.queue();

            String id = queue.enqueue(JobRequest.builder(JAR_TYPE)
                    .payload(new Document("file", marker.toAbsolutePath().toString())).build()).id();

            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .untilAsserted(() -> assertThat(queue.get(id)).as("done jobs are deleted").isEmpty());
            assertThat(marker).as("the jar's handler ran").hasContent(id);
            assertThat(queue.stats().dead()).isZero();
        }
    }

    @Test
    void givenAProviderWhoseConstructorThrows_whenLoadingHandlers_thenAConfigExceptionNamesTheProvider() throws Exception {
        DaemonConfig config = config(explodingHandlers);

        assertThatThrownBy(() -> HandlerLoader.load(config, HandlerJarTest.class.getClassLoader()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(config.source())
                .hasMessageContaining(EXPLODING_PROVIDER)
                .hasMessageContaining("licence key missing");
    }

    /** A daemon configuration with the given handler directory, no HTTP endpoint and a short drain. */
    private DaemonConfig config(Path handlerDirectory) throws IOException {
        Path file = Files.writeString(dir.resolve("docjobs.yaml"), """
                handlerDirectory: "%s"
                http:
                  enabled: false
                supervisor:
                  drainTimeout: 2s
                  idleBackoffMax: 200ms
                """.formatted(handlerDirectory.toAbsolutePath().toString().replace("\\", "\\\\")));
        return new ConfigLoader(name -> null).load(file, true);
    }

    /** Compiles the sources (by class name) against the test classpath; returns the classes directory. */
    private static Path compile(Map<String, String> sourcesByClass) throws IOException {
        Path sources = Files.createDirectories(build.resolve("src"));
        Path classes = Files.createDirectories(build.resolve("classes"));
        List<Path> files = new ArrayList<>();
        for (Map.Entry<String, String> source : sourcesByClass.entrySet()) {
            String className = source.getKey();
            files.add(Files.writeString(sources.resolve(className.substring(className.lastIndexOf('.') + 1) + ".java"),
                    source.getValue()));
        }
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertThat(compiler).as("tests need a JDK, not a JRE").isNotNull();
        StringWriter diagnostics = new StringWriter();
        try (StandardJavaFileManager fileManager = compiler.getStandardFileManager(null, null, StandardCharsets.UTF_8)) {
            Boolean compiled = compiler.getTask(diagnostics, fileManager, null,
                    List.of("--release", "17", "-proc:none", "-classpath", System.getProperty("java.class.path"),
                            "-d", classes.toString()),
                    null, fileManager.getJavaFileObjectsFromPaths(files)).call();
            assertThat(compiled).as("compiling %s:%n%s", sourcesByClass.keySet(), diagnostics).isTrue();
        }
        return classes;
    }

    /**
     * Packages the class {@code className} (with its nested classes) and a
     * {@code META-INF/services/io.docjobs.JobHandlerProvider} entry naming it as
     * {@code <name>/handlers/<name>.jar}; returns that handlers directory.
     */
    private static Path handlerDirectoryWithJar(String name, Path classes, String className) throws IOException {
        Path handlers = Files.createDirectories(build.resolve(name).resolve("handlers"));
        String classFile = className.replace('.', '/');
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(handlers.resolve(name + ".jar")), manifest);
                Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(Files::isRegularFile).sorted().toList()) {
                String entry = classes.relativize(file).toString().replace('\\', '/');
                if (entry.equals(classFile + ".class") || entry.startsWith(classFile + "$")) {
                    put(out, entry, Files.readAllBytes(file));
                }
            }
            put(out, "META-INF/services/" + JobHandlerProvider.class.getName(),
                    (className + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return handlers;
    }

    private static void put(JarOutputStream out, String name, byte[] content) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(content);
        out.closeEntry();
    }
}
