package io.docjobs.cli;

import io.docjobs.ConfigurationException;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.daemon.AdminCommands;
import io.docjobs.daemon.ConfigException;
import io.docjobs.daemon.DbCommand;
import io.docjobs.daemon.DemoCommand;
import io.docjobs.daemon.ExitCodes;
import io.docjobs.daemon.RetryableWrites;
import io.docjobs.daemon.RunCommand;
import io.docjobs.daemon.ScheduleCommands;
import io.docjobs.examples.handlers.ChargePaymentHandler;
import io.docjobs.examples.handlers.RenderReportHandler;
import io.docjobs.examples.handlers.SendEmailHandler;
import io.docjobs.tools.bench.BenchCommand;
import io.docjobs.tools.chaos.ChaosCommand;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code docjobs} command line: {@code run} (the daemon), {@code demo}, the admin commands
 * {@code enqueue}, {@code stats}, {@code dead}, {@code peek}, {@code schedule}, {@code db}, and the tools
 * {@code bench} and {@code chaos}. This package sits on top: it names the commands of the daemon
 * and the tools and gives the demo the example handlers; none of them knows this package.
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
                AdminCommands.Dead.class, AdminCommands.Peek.class, AdminCommands.Job.class, ScheduleCommands.Group.class, BenchCommand.class,
                DbCommand.class, ChaosCommand.class,
                CompletionCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns its exit code ({@link #main} exits with it). */
    public static int execute(String... args) {
        // The platform's charset, as System.out and System.err use it themselves.
        Charset charset = Charset.defaultCharset();
        return execute(new PrintWriter(System.out, true, charset), new PrintWriter(System.err, true, charset), args);
    }

    /** Runs the command line writing to the given streams; for tests and embedding. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = commandLine().setOut(out).setErr(err)
                .setExpandAtFiles(false); // "--payload @file" is ours to read
        commandLine.setExecutionExceptionHandler((exception, line, parseResult) -> {
            exception = RetryableWrites.explain(exception);
            if (exception instanceof ConfigException || exception instanceof ConfigurationException) {
                line.getErr().println("docjobs: " + exception.getMessage());
                return ExitCodes.CONFIG;
            }
            if (exception instanceof DatabaseUnavailableException) {
                line.getErr().println("docjobs: " + exception.getMessage());
                return ExitCodes.UNAVAILABLE;
            }
            if (exception instanceof IllegalArgumentException) {
                line.getErr().println("docjobs: " + exception.getMessage());
                return ExitCodes.CONFIG;
            }
            line.getErr().println("docjobs: failed: " + exception);
            exception.printStackTrace(line.getErr());
            return ExitCodes.FAILURE;
        });
        commandLine.setExitCodeExceptionMapper(exception -> ExitCodes.CONFIG);
        // A usage mistake: what was wrong and where to look, rather than the whole usage text
        // burying the one line that matters.
        commandLine.setParameterExceptionHandler((exception, arguments) -> {
            CommandLine line = exception.getCommandLine();
            line.getErr().println("docjobs: " + exception.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(exception, line.getErr());
            line.getErr().println("Run '" + line.getCommandSpec().qualifiedName() + " --help' for usage.");
            return ExitCodes.CONFIG;
        });
        return commandLine.execute(args);
    }

    /**
     * The command tree, with {@code demo} given the example handlers (the daemon does not know the
     * examples; this package puts the two together).
     */
    static CommandLine commandLine() {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        return new CommandLine(new Main(), new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                if (type == DemoCommand.class) {
                    return type.cast(new DemoCommand(new SendEmailHandler.Provider(), new ChargePaymentHandler.Provider(),
                            new RenderReportHandler.Provider()));
                }
                return defaults.create(type);
            }
        });
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
