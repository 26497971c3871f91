package io.docjobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.daemon.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Help, version and completion for the whole command tree. The commands are found by walking
 * picocli's model of {@link Main}, so a command added later is checked without touching this test.
 * Nothing here needs a database: help and version answer before a command runs.
 */
class CliHelpTest {
    /** What one invocation printed, and its exit code. */
    private record Result(int code, String out, String err) {
    }

    private static Result run(List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    /** Every command of the tree, the root first, each as the words that name it (the root: none). */
    private static List<CommandSpec> commands() {
        List<CommandSpec> commands = new ArrayList<>();
        collect(Main.commandLine().getCommandSpec(), commands);
        return commands;
    }

    private static void collect(CommandSpec command, List<CommandSpec> into) {
        into.add(command);
        command.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), into));
    }

    private static List<String> path(CommandSpec command) {
        List<String> words = new ArrayList<>();
        for (CommandSpec at = command; at.parent() != null; at = at.parent()) {
            words.add(0, at.name());
        }
        return words;
    }

    private static List<String> with(List<String> path, String... more) {
        List<String> args = new ArrayList<>(path);
        args.addAll(List.of(more));
        return args;
    }

    @Test
    void theTreeWalkFindsEveryKnownCommand() {
        assertThat(commands()).extracting(CommandSpec::qualifiedName).contains("docjobs", "docjobs run", "docjobs demo",
                "docjobs enqueue", "docjobs stats", "docjobs peek", "docjobs dead", "docjobs dead list",
                "docjobs dead requeue", "docjobs dead purge", "docjobs job", "docjobs job cancel", "docjobs job delete",
                "docjobs job run-now", "docjobs job priority", "docjobs bench", "docjobs db", "docjobs chaos",
                "docjobs completion", "docjobs help");
    }

    @TestFactory
    Stream<DynamicTest> everyCommandAnswersHelpWithItsUsageAndExitCode0() {
        return commands().stream().map(command -> DynamicTest.dynamicTest(command.qualifiedName() + " --help", () -> {
            Result result = run(with(path(command), "--help"));

            assertThat(result.code()).as(result.err()).isZero();
            assertThat(result.out()).contains("Usage: " + command.qualifiedName() + " ");
            assertThat(result.err()).isEmpty();
        }));
    }

    @TestFactory
    Stream<DynamicTest> everyCommandButHelpAnswersVersionWithTheBuildVersion() {
        // Run from classes (as here) there is no manifest: "development build". DaemonProcessIT
        // checks the built jar's version.
        String expected = "docjobs " + BuildVersion.DEVELOPMENT;
        return commands().stream().filter(command -> !command.helpCommand())
                .map(command -> DynamicTest.dynamicTest(command.qualifiedName() + " --version", () -> {
                    Result result = run(with(path(command), "--version"));

                    assertThat(result.code()).as(result.err()).isZero();
                    assertThat(result.out().lines().findFirst()).hasValue(expected);
                    assertThat(result.out()).contains("Java " + System.getProperty("java.version"));
                }));
    }

    @Test
    void theVersionIsTheManifestsImplementationVersionWhenThereIsOne() {
        assertThat(BuildVersion.lines("1.4.2")[0]).isEqualTo("docjobs 1.4.2");
        assertThat(BuildVersion.lines(null)[0]).isEqualTo("docjobs development build");
        assertThat(BuildVersion.version()).as("from classes").isEqualTo(BuildVersion.DEVELOPMENT);
    }

    @Test
    void everyDefaultShownInHelpComesFromTheCode() {
        for (CommandSpec command : commands()) {
            for (OptionSpec option : command.options()) {
                if (option.defaultValue() == null) {
                    continue;
                }
                // The annotation as written: picocli's description() is already interpolated.
                assertThat(option.userObject()).as(option.longestName()).isInstanceOf(Field.class);
                CommandLine.Option annotation = ((Field) option.userObject()).getAnnotation(CommandLine.Option.class);
                assertThat(String.join(" ", annotation.description()))
                        .as("%s %s has a default: its description shows it with ${DEFAULT-VALUE}", command.qualifiedName(),
                                option.longestName())
                        .contains("${DEFAULT-VALUE}");
                assertThat(String.join(" ", option.renderedDescription())).contains(option.defaultValue());
            }
        }
    }

    @Test
    void completionPrintsAScriptForEveryCommandAndOption() {
        Result result = run(List.of("completion"));

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("#!/usr/bin/env bash").contains("complete -F _complete_docjobs")
                .doesNotContain("\r");
        for (CommandSpec command : commands()) {
            List<String> path = path(command);
            if (path.isEmpty()) {
                continue;
            }
            assertThat(result.out()).as(command.qualifiedName())
                    .containsPattern("local cmds\\d+=\\(" + Pattern.quote(String.join(" ", path)) + "\\)")
                    .contains("function _picocli_docjobs_" + String.join("_", path).replace("-", "") + "()"); // picocli drops the hyphen
            for (OptionSpec option : command.options()) {
                for (String name : option.names()) {
                    assertThat(result.out()).as(command.qualifiedName() + " " + name).contains(name);
                }
            }
        }
    }

    @Test
    void aMistypedCommandGetsASuggestionAndExitCode2WithoutTheWholeUsage() {
        Result result = run(List.of("enqueu"));

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("'enqueu'").contains("Did you mean: docjobs enqueue")
                .contains("Run 'docjobs --help' for usage.").doesNotContain("Usage:");
        assertThat(result.out()).isEmpty();
    }
}
