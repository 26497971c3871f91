package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package graph of runner-examples' main code points one way: the command line on top, the
 * tools below it, the daemon below them, runner-core's public API ({@code io.docjobs}) at the
 * bottom; the examples use only that API. Nothing here reaches into runner-core's implementation
 * packages (whose module does not export them; checked against its {@code module-info}), nor into
 * its testing package, and no package depends on itself through others.
 *
 * <p>An import scan of the source files: every {@code io.docjobs...Type} named in code (imports,
 * static imports, fully qualified names), comments and string literals left out.
 */
class PackageGraphTest {
    private static final Path SOURCES = Path.of("src", "main", "java");

    enum Layer {
        CLI("io.docjobs.cli"),
        BENCH("io.docjobs.tools.bench"),
        CHAOS("io.docjobs.tools.chaos"),
        DAEMON("io.docjobs.daemon"),
        EXAMPLES("io.docjobs.examples"),
        CORE_API("io.docjobs"),
        /** runner-core's implementation (io.docjobs.internal, .mongo, .metrics, ...): off limits here. */
        CORE_IMPLEMENTATION(null);

        private final String root;

        Layer(String root) {
            this.root = root;
        }

        static Layer of(String pkg) {
            if (pkg.equals(CORE_API.root)) {
                return CORE_API;
            }
            for (Layer layer : values()) {
                if (layer.root != null && layer != CORE_API && (pkg.equals(layer.root) || pkg.startsWith(layer.root + "."))) {
                    return layer;
                }
            }
            return CORE_IMPLEMENTATION;
        }
    }

    /** What each layer of this module may use besides itself and third-party code. */
    private static final Map<Layer, Set<Layer>> ALLOWED = Map.of(
            Layer.CLI, EnumSet.of(Layer.DAEMON, Layer.BENCH, Layer.CHAOS, Layer.EXAMPLES, Layer.CORE_API),
            Layer.BENCH, EnumSet.of(Layer.DAEMON, Layer.CORE_API),
            Layer.CHAOS, EnumSet.of(Layer.DAEMON, Layer.CORE_API),
            Layer.DAEMON, EnumSet.of(Layer.CORE_API),
            Layer.EXAMPLES, EnumSet.of(Layer.CORE_API));

    private static final Pattern PACKAGE = Pattern.compile("^\\s*package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** A type of ours named in code: lower-case package segments, then a capitalised name. */
    private static final Pattern REFERENCE = Pattern.compile("\\bio\\.docjobs((?:\\.[a-z_][a-z0-9_]*)*)\\.[A-Z]\\w*");
    private static final Pattern WILDCARD = Pattern.compile("\\bimport\\s+(?:static\\s+)?(io\\.docjobs(?:\\.[a-z_][a-z0-9_]*)*)[\\w.]*\\.\\*\\s*;");

    @Test
    void everyPackageUsesOnlyTheLayersBelowIt() {
        assertThat(violations(scan(SOURCES))).as("dependencies against the allowed direction").isEmpty();
    }

    @Test
    void mainCodeUsesOnlyWhatRunnerCoreExportsAndNotItsTestingPackage() throws Exception {
        Set<String> exported = runnerCoreExports();
        Set<String> used = new TreeSet<>();
        scan(SOURCES).values().forEach(uses -> uses.keySet().stream()
                .filter(target -> Layer.of(target) == Layer.CORE_API || Layer.of(target) == Layer.CORE_IMPLEMENTATION)
                .forEach(used::add));

        assertThat(exported).as("runner-core's exports").contains("io.docjobs", "io.docjobs.testing")
                .doesNotContain("io.docjobs.internal", "io.docjobs.mongo");
        assertThat(used).as("runner-core packages runner-examples' main code uses").contains("io.docjobs")
                .doesNotContain("io.docjobs.testing").isSubsetOf(exported);
    }

    /** The packages runner-core's module exports, read from its {@code module-info.class}. */
    private static Set<String> runnerCoreExports() throws Exception {
        Path location = Path.of(Supervisor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        ModuleDescriptor descriptor;
        if (Files.isDirectory(location)) {
            try (InputStream in = Files.newInputStream(location.resolve("module-info.class"))) {
                descriptor = ModuleDescriptor.read(in);
            }
        } else {
            try (JarFile jar = new JarFile(location.toFile()); InputStream in = jar.getInputStream(jar.getEntry("module-info.class"))) {
                descriptor = ModuleDescriptor.read(in);
            }
        }
        return descriptor.exports().stream().filter(e -> !e.isQualified()).map(ModuleDescriptor.Exports::source)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        assertThat(cycles(scan(SOURCES))).as("package cycles").isEmpty();
    }

    @Test
    void theScanSeesTheCommandLineAndEveryLayerOfTheModule() {
        Map<String, Map<String, Set<String>>> graph = scan(SOURCES);

        assertThat(graph.keySet()).extracting(Layer::of).contains(Layer.CLI, Layer.BENCH, Layer.CHAOS, Layer.DAEMON,
                Layer.EXAMPLES);
        assertThat(graph.get("io.docjobs.cli")).as("the command line names the daemon's and the tools' commands")
                .containsKeys("io.docjobs.daemon", "io.docjobs.tools.bench", "io.docjobs.tools.chaos");
    }

    @Test
    void aDaemonUsingTheCommandLineOrCoreInternalsIsReported() {
        Map<String, Map<String, Set<String>>> graph = graph(Map.of(
                "io/docjobs/daemon/Run.java", """
                        package io.docjobs.daemon;
                        import io.docjobs.JobQueue;
                        import io.docjobs.cli.Main;
                        import static io.docjobs.mongo.Fields.*;
                        class Run { Object engine = new io.docjobs.internal.Engine(); }
                        """));

        assertThat(violations(graph)).hasSize(3)
                .anySatisfy(v -> assertThat(v).contains("io.docjobs.daemon -> io.docjobs.cli").contains("Run.java"))
                .anySatisfy(v -> assertThat(v).contains("io.docjobs.daemon -> io.docjobs.internal"))
                .anySatisfy(v -> assertThat(v).contains("io.docjobs.daemon -> io.docjobs.mongo "));
    }

    @Test
    void aToolUsedByTheDaemonIsReportedAsACycle() {
        Map<String, Map<String, Set<String>>> graph = graph(Map.of(
                "io/docjobs/daemon/Run.java", "package io.docjobs.daemon;\nimport io.docjobs.tools.bench.Bench;\nclass Run {}",
                "io/docjobs/tools/bench/Bench.java", "package io.docjobs.tools.bench;\nimport io.docjobs.daemon.Run;\nclass Bench {}"));

        assertThat(cycles(graph)).containsExactly(
                "io.docjobs.daemon -> io.docjobs.tools.bench -> io.docjobs.daemon");
    }

    @Test
    void namesInCommentsAndStringsAreNoDependencies() {
        Map<String, Map<String, Set<String>>> graph = graph(Map.of(
                "io/docjobs/examples/Quiet.java", """
                        package io.docjobs.examples;
                        /** Unlike {@link io.docjobs.daemon.Daemon}, this ... */
                        class Quiet {
                            // io.docjobs.cli.Main runs it
                            String logger = "io.docjobs.internal.Engine";
                            String block = \"""
                                    io.docjobs.mongo.Store
                                    \""";
                            char quote = '"';
                            Object queue = io.docjobs.JobQueue.class;
                        }
                        """));

        assertThat(graph.get("io.docjobs.examples")).containsOnlyKeys("io.docjobs");
        assertThat(violations(graph)).isEmpty();
    }

    /** Package to the packages it uses, each with the files that use it. */
    private static Map<String, Map<String, Set<String>>> scan(Path root) {
        Map<String, String> sources = new TreeMap<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                sources.put(root.relativize(file).toString(), Files.readString(file));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        assertThat(sources).as("sources under %s", root.toAbsolutePath()).isNotEmpty();
        return graph(sources);
    }

    private static Map<String, Map<String, Set<String>>> graph(Map<String, String> sources) {
        Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
        sources.forEach((file, text) -> {
            String code = codeOnly(text);
            Matcher declared = PACKAGE.matcher(code);
            assertThat(declared.find()).as("package declaration of %s", file).isTrue();
            String pkg = declared.group(1);
            Map<String, Set<String>> uses = graph.computeIfAbsent(pkg, p -> new TreeMap<>());
            List<String> used = new ArrayList<>();
            for (Matcher m = REFERENCE.matcher(code); m.find(); ) {
                used.add("io.docjobs" + m.group(1));
            }
            for (Matcher m = WILDCARD.matcher(code); m.find(); ) {
                used.add(m.group(1)); // the package; of a static import, the package of its class
            }
            for (String target : used) {
                if (!target.equals(pkg)) {
                    uses.computeIfAbsent(target, t -> new TreeSet<>()).add(file);
                }
            }
        });
        return graph;
    }

    private static List<String> violations(Map<String, Map<String, Set<String>>> graph) {
        List<String> violations = new ArrayList<>();
        graph.forEach((pkg, uses) -> {
            Layer from = Layer.of(pkg);
            Set<Layer> allowed = ALLOWED.get(from);
            if (allowed == null) {
                violations.add(pkg + " belongs to no layer of runner-examples (cli, tools.bench, tools.chaos, daemon,"
                        + " examples): add it to " + PackageGraphTest.class.getSimpleName() + "'s rules");
                return;
            }
            uses.forEach((target, files) -> {
                Layer to = Layer.of(target);
                if (to != from && !allowed.contains(to)) {
                    violations.add(pkg + " -> " + target + " in " + files + ": " + from + " may use only " + allowed);
                }
            });
        });
        return violations;
    }

    /** Each cycle once, from its least package name: {@code a -> b -> a}. */
    private static List<String> cycles(Map<String, Map<String, Set<String>>> graph) {
        Set<String> cycles = new TreeSet<>();
        for (String start : graph.keySet()) {
            for (String next : graph.get(start).keySet()) {
                List<String> back = path(graph, next, start);
                if (back != null) {
                    List<String> members = new ArrayList<>(List.of(start));
                    members.addAll(back.subList(0, back.size() - 1));
                    Collections.rotate(members, -members.indexOf(Collections.min(members)));
                    members.add(members.get(0));
                    cycles.add(String.join(" -> ", members));
                }
            }
        }
        return List.copyOf(cycles);
    }

    /** The shortest path of packages from {@code from} to {@code to}, both included; null if none. */
    private static List<String> path(Map<String, Map<String, Set<String>>> graph, String from, String to) {
        Map<String, String> cameFrom = new HashMap<>();
        Deque<String> queue = new ArrayDeque<>(List.of(from));
        cameFrom.put(from, from);
        while (!queue.isEmpty()) {
            String at = queue.removeFirst();
            if (at.equals(to)) {
                List<String> path = new ArrayList<>();
                for (String step = to; ; step = cameFrom.get(step)) {
                    path.add(0, step);
                    if (step.equals(from)) {
                        return path;
                    }
                }
            }
            for (String next : graph.getOrDefault(at, Map.of()).keySet()) {
                if (cameFrom.putIfAbsent(next, at) == null) {
                    queue.addLast(next);
                }
            }
        }
        return null;
    }

    /** The source with comments, string and character literals and text blocks blanked out. */
    static String codeOnly(String source) {
        StringBuilder code = new StringBuilder(source.length());
        int i = 0;
        while (i < source.length()) {
            char c = source.charAt(i);
            if (source.startsWith("//", i)) {
                int end = source.indexOf('\n', i);
                i = end < 0 ? source.length() : end;
            } else if (source.startsWith("/*", i)) {
                int end = source.indexOf("*/", i + 2);
                i = end < 0 ? source.length() : end + 2;
                code.append(' ');
            } else if (source.startsWith("\"\"\"", i)) {
                int end = source.indexOf("\"\"\"", i + 3);
                while (end > 0 && source.charAt(end - 1) == '\\') {
                    end = source.indexOf("\"\"\"", end + 1);
                }
                i = end < 0 ? source.length() : end + 3;
                code.append("\"\"");
            } else if (c == '"' || c == '\'') {
                int j = i + 1;
                while (j < source.length() && source.charAt(j) != c && source.charAt(j) != '\n') {
                    j += source.charAt(j) == '\\' ? 2 : 1;
                }
                i = j + 1;
                code.append(c).append(c);
            } else {
                code.append(c);
                i++;
            }
        }
        return code.toString();
    }
}
