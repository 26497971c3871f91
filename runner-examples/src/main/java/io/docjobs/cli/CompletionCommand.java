package io.docjobs.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code docjobs completion}: prints a bash completion script for every command, subcommand and
 * option (zsh loads it through {@code bashcompinit}, which the script does itself). Generated from
 * the command tree at run time, so it always matches this build.
 */
@Command(name = "completion", description = {
        "Print a bash/zsh completion script for docjobs and every subcommand and option.",
        "In this shell (bash or zsh):  source <(docjobs completion)",
        "For good, in bash:",
        "  docjobs completion > ~/.local/share/bash-completion/completions/docjobs",
        "in zsh: add the source line above to ~/.zshrc.",
        "The script completes a command named docjobs: put an executable script docjobs on your PATH"
                + " that runs java -jar /path/to/docjobs.jar \"$@\"."})
final class CompletionCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        CommandLine root = spec.root().commandLine();
        String script = AutoComplete.bash(root.getCommandName(), root);
        // The script is for a Unix shell even when generated on Windows.
        spec.commandLine().getOut().print(script.replace("\r\n", "\n"));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
