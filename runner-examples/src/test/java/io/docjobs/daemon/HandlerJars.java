package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.JobHandlerProvider;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

/**
 * Handler jars as an operator deploys them, made at test time so their classes are on no classpath
 * of this build: compiled sources packaged with a {@code META-INF/services} entry.
 */
final class HandlerJars {
    /** A provider of type {@value #TOUCH_TYPE} that writes the job's id into the file named by the payload's "file". */
    static final String TOUCH_PROVIDER = "jarhandlers.TouchFileProvider";
    static final String TOUCH_TYPE = "jar.touch";
    static final String TOUCH_SOURCE = """
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
            """.formatted(TOUCH_TYPE);

    private HandlerJars() {
    }

    /** Compiles the sources (by class name) against the test classpath into {@code build/classes}. */
    static Path compile(Path build, Map<String, String> sourcesByClass) throws IOException {
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
     * {@code META-INF/services/io.docjobs.JobHandlerProvider} entry naming it as {@code jar}.
     */
    static Path jar(Path classes, String className, Path jar) throws IOException {
        Files.createDirectories(jar.toAbsolutePath().getParent());
        String classFile = className.replace('.', '/');
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
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
        return jar;
    }

    private static void put(JarOutputStream out, String name, byte[] content) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(content);
        out.closeEntry();
    }
}
