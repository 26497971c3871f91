package io.docjobs.daemon;

import io.docjobs.ConfigurationException;
import io.docjobs.DatabaseUnavailableException;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code docjobs} command line: {@code run} (the daemon), {@code demo}, and the admin commands
 * {@code enqueue}, {@code stats}, {@code dead}, {@code peek}.
 *
 * <p>Every command and subcommand has {@code --help} and {@code --version}: the root's
 * {@code mixinStandardHelpOptions} and version provider are inherited ({@code scope = INHERIT}), so
 * a new command gets them too.
 *
 * <p>Exit codes: 0 success; 1 unexpected failure; 2 invalid configuration or usage; 3 the
 * database could not be reached; 4 the job named is not there in the state the command needs.
 */
@Command(name = "docjobs", mixinStandardHelpOptions = true, versionProvider = BuildVersion.class,
        scope = CommandLine.ScopeType.INHERIT,
        description = "A job runner on MongoDB / Amazon DocumentDB.",
        footer = {"", "Exit codes: 0 success; 1 unexpected failure; 2 invalid configuration or usage;",
                "3 the database could not be reached; 4 the job named is not there in the state the command needs."},
        subcommands = {RunCommand.class, DemoCommand.class, AdminCommands.Enqueue.class, AdminCommands.Stats.class,
                AdminCommands.Dead.class, AdminCommands.Peek.class, io.docjobs.bench.BenchCommand.class, DbCommand.class, ChaosCommand.class,
                CompletionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_CONFIG = 2;
    public static final int EXIT_UNAVAILABLE = 3;
    /**
     * The job named does not exist or is not in the state the command needs (e.g. {@code dead
     * requeue ID} of an id that is no dead letter, or whose dedup key an unfinished job holds);
     * nothing was changed.
     */
    public static final int EXIT_NOT_FOUND = 4;

    /** The configuration file read when {@code --config} is not given, if it exists. */
    static final String DEFAULT_CONFIG = "config/docjobs.yaml";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The {@code --config} option every subcommand shares. */
    static final class ConfigOption {
        @Option(names = "--config", paramLabel = "PATH",
                description = "configuration file (default: " + DEFAULT_CONFIG + " if it exists)")
        Path config;

        DaemonConfig load() {
            boolean given = config != null;
            return new ConfigLoader(System.getenv()).load(given ? config : Path.of(DEFAULT_CONFIG), given);
        }
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code ({@link #main} exits with it). */
    public static int execute(String... args) {
        return execute(new java.io.PrintWriter(System.out, true), new java.io.PrintWriter(System.err, true), args);
    }

    /** Runs the command line writing to the given streams; for tests and embedding. */
    public static int execute(java.io.PrintWriter out, java.io.PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(new Main()).setOut(out).setErr(err)
                .setExpandAtFiles(false); // "--payload @file" is ours to read
        commandLine.setExecutionExceptionHandler((exception, line, parseResult) -> {
            exception = RetryableWrites.explain(exception);
            if (exception instanceof ConfigException || exception instanceof ConfigurationException) {
                line.getErr().println("docjobs: " + exception.getMessage());
                return EXIT_CONFIG;
            }
            if (exception instanceof DatabaseUnavailableException) {
                line.getErr().println("docjobs: " + exception.getMessage());
                return EXIT_UNAVAILABLE;
            }
            if (exception instanceof IllegalArgumentException) {
                line.getErr().println("docjobs: " + exception.getMessage());
                return EXIT_CONFIG;
            }
            line.getErr().println("docjobs: failed: " + exception);
            exception.printStackTrace(line.getErr());
            return EXIT_FAILURE;
        });
        commandLine.setExitCodeExceptionMapper(exception -> EXIT_CONFIG);
        // A usage mistake: what was wrong and where to look, rather than the whole usage text
        // burying the one line that matters.
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            CommandLine line = exception.getCommandLine();
            line.getErr().println("docjobs: " + exception.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(exception, line.getErr());
            line.getErr().println("Run '" + line.getCommandSpec().qualifiedName() + " --help' for usage.");
            return EXIT_CONFIG;
        });
        return commandLine.execute(args);
    }

    /**
     * Sets the named loggers to WARN, when logback is the binding: commands that print their own
     * results or progress (admin commands, demo, bench, chaos) would drown in per-job INFO lines.
     */
    public static void quietLogs(String... loggers) {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            for (String logger : loggers) {
                context.getLogger(logger).setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
