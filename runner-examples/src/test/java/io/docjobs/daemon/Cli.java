package io.docjobs.daemon;

import io.docjobs.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

/** Runs the docjobs command line in-process against a configuration file, capturing what it prints. */
final class Cli {
    /** What one command printed, and its exit code. */
    record Result(int code, String out, String err) {
    }

    private Cli() {
    }

    static Result run(Path config, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] withConfig = new String[args.length + 2];
        System.arraycopy(args, 0, withConfig, 0, args.length);
        withConfig[args.length] = "--config";
        withConfig[args.length + 1] = config.toString();
        int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), withConfig);
        return new Result(code, out.toString(), err.toString());
    }
}
