package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handlers deployed as jars in the handler directory, without rebuilding docjobs: a provider
 * compiled and packaged at test time (so it is on no classpath of this build) is discovered through
 * its {@code META-INF/services} entry, and the daemon runs its jobs. The same provider on the
 * daemon's own classpath is not discovered.
 */
class HandlerJarTest {
    private static final String JAR_TYPE = HandlerJars.TOUCH_TYPE;
    private static final String PROVIDER = HandlerJars.TOUCH_PROVIDER;
    private static final String EXPLODING_PROVIDER = "jarhandlers.ExplodingProvider";

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
        Path classes = HandlerJars.compile(build, Map.of(PROVIDER, HandlerJars.TOUCH_SOURCE, EXPLODING_PROVIDER,
                EXPLODING_SOURCE));
        touchHandlers = HandlerJars.jar(classes, PROVIDER, build.resolve("touch/handlers/touch.jar")).getParent();
        explodingHandlers = HandlerJars.jar(classes, EXPLODING_PROVIDER, build.resolve("exploding/handlers/exploding.jar"))
                .getParent();
    }

    @Test
    void discoversTheTypeOfAProviderJarInTheHandlerDirectory() throws Exception {
        ClassLoader parent = HandlerJarTest.class.getClassLoader();
        assertThatThrownBy(() -> Class.forName(PROVIDER, false, parent))
                .as("the provider is only in the jar, not on the test classpath")
                .isInstanceOf(ClassNotFoundException.class);

        Map<String, HandlerLoader.Loaded> loaded = HandlerLoader.load(config(touchHandlers), parent);

        assertThat(loaded).containsKey(JAR_TYPE);
        assertThat(loaded.get(JAR_TYPE).origin()).startsWith("provider " + PROVIDER + " in ").endsWith("touch.jar");
        assertThat(loaded.get(JAR_TYPE).handler().getClass().getClassLoader())
                .as("loaded from the jar by the handler directory's class loader")
                .isNotSameAs(parent);
    }

    @Test
    void aPerTypeVariableOverridesTheOptionsOfADiscoveredProvider() throws Exception {
        DaemonConfig config = config(touchHandlers, Map.of("DOCJOBS_HANDLERS_JAR_TOUCH_CONCURRENCY", "3",
                "DOCJOBS_HANDLERS_JAR_TOUCH_MAX_ATTEMPTS", "2"));

        HandlerLoader.Loaded loaded = HandlerLoader.load(config, HandlerJarTest.class.getClassLoader()).get(JAR_TYPE);

        assertThat(loaded.options().concurrency()).isEqualTo(3);
        assertThat(loaded.options().maxAttempts()).isEqualTo(2);
        assertThat(loaded.origin()).startsWith("provider " + PROVIDER);
    }

    @Test
    void doesNotDiscoverProvidersOnTheDaemonsOwnClasspath() throws Exception {
        Path emptyHandlers = Files.createDirectories(dir.resolve("handlers"));
        // A jar without providers: discovery runs, and sees the classpath's provider through its parent.
        new java.util.jar.JarOutputStream(Files.newOutputStream(emptyHandlers.resolve("empty.jar"))).close();
        try (URLClassLoader classpath = new URLClassLoader(new URL[] {touchHandlers.resolve("touch.jar").toUri().toURL()},
                HandlerJarTest.class.getClassLoader())) {
            assertThat(Class.forName(PROVIDER, false, classpath)).as("the provider is on this classpath").isNotNull();

            assertThatThrownBy(() -> HandlerLoader.load(config(emptyHandlers), classpath))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("no handlers to run")
                    .hasMessageContaining(emptyHandlers.toAbsolutePath().toString());
        }
    }

    @Test
    void runsTheJobsOfAProviderJarInTheHandlerDirectory() throws Exception {
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
    void aProviderWhoseConstructorThrowsIsAConfigErrorNamingTheProvider() throws Exception {
        DaemonConfig config = config(explodingHandlers);

        assertThatThrownBy(() -> HandlerLoader.load(config, HandlerJarTest.class.getClassLoader()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(config.source())
                .hasMessageContaining(EXPLODING_PROVIDER)
                .hasMessageContaining("licence key missing");
    }

    /** A daemon configuration with the given handler directory, no HTTP endpoint and a short drain. */
    private DaemonConfig config(Path handlerDirectory) throws IOException {
        return config(handlerDirectory, Map.of());
    }

    /** The same with {@code environment}. */
    private DaemonConfig config(Path handlerDirectory, Map<String, String> environment) throws IOException {
        Path file = Files.writeString(dir.resolve("docjobs.yaml"), """
                database:
                  embedded: true
                handlerDirectory: "%s"
                http:
                  enabled: false
                supervisor:
                  drainTimeout: 2s
                  idleBackoffMax: 200ms
                """.formatted(handlerDirectory.toAbsolutePath().toString().replace("\\", "\\\\")));
        return new ConfigLoader(environment).load(file, true);
    }
}
