package io.docjobs.tools.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A process the chaos driver started: its output goes to a log file, and {@link #awaitReady} waits
 * for the line that says it is ready. It can be killed ({@code SIGKILL}), terminated
 * ({@code SIGTERM}), paused ({@code SIGSTOP}) and resumed ({@code SIGCONT}).
 */
final class ChildProcess {
    private final String name;
    private final Process process;
    private final Path log;
    private final CompletableFuture<String> ready = new CompletableFuture<>();

    private ChildProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code command} in {@code directory} with {@code environment} added, its standard output
     * and error into {@code log}; it is ready once it prints a line containing {@code readyMarker}.
     */
    static ChildProcess start(String name, List<String> command, Map<String, String> environment, Path directory,
            Path log, String readyMarker) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name + ": " + command, e);
        }
        ChildProcess child = new ChildProcess(name, process, log);
        Thread pump = new Thread(() -> child.pump(readyMarker), "chaos-output-" + name);
        pump.setDaemon(true);
        pump.start();
        return child;
    }

    /** Copies the output into the log, line by line, watching for the ready line. */
    private void pump(String readyMarker) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.write(line);
                out.write('\n');
                // Flushed per line: the log of a process killed with -9 must show its last words.
                out.flush();
                if (!ready.isDone() && line.contains(readyMarker)) {
                    ready.complete(line);
                }
            }
        } catch (IOException e) {
            // The stream ends abruptly when the process is killed; the log keeps what was read.
        } finally {
            ready.completeExceptionally(new IllegalStateException(name + " ended before it was ready; see " + log));
        }
    }

    /**
     * Waits until the process printed its ready line, and returns that line.
     *
     * @throws IllegalStateException if it ended first or did not get ready within {@code timeout}
     */
    String awaitReady(Duration timeout) throws InterruptedException {
        try {
            return ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw (IllegalStateException) e.getCause();
        } catch (TimeoutException e) {
            throw new IllegalStateException(name + " was not ready within " + timeout.toSeconds() + " s; see " + log);
        }
    }

    boolean isReady() {
        return ready.isDone() && !ready.isCompletedExceptionally();
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The exit code, or -1 while it runs. */
    int exitCode() {
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** {@code kill -9}: no shutdown hook, no drain, no last write. Waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /**
     * {@code SIGTERM}, then waits up to {@code patience} for a clean exit; kills it if it does not
     * come. Returns the exit code (137 = killed after all).
     */
    int terminate(Duration patience) throws InterruptedException {
        requestStop();
        return awaitExit(patience);
    }

    /** Sends {@code SIGTERM}, without waiting. */
    void requestStop() {
        process.destroy();
    }

    /** Waits up to {@code patience} for the process to end, then kills it; returns the exit code. */
    int awaitExit(Duration patience) throws InterruptedException {
        if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return process.exitValue();
    }

    /** Sends {@code signal} (e.g. "STOP", "CONT") with the kill command. */
    void signal(String signal) throws InterruptedException {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).redirectErrorStream(true).start();
            String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (kill.waitFor() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid() + " (" + name + ") failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -" + signal + " for " + name, e);
        }
    }

    /** Kills the process if it still runs, without waiting: for the driver's final clean-up. */
    void destroyForcibly() {
        process.destroyForcibly();
    }

    @Override
    public String toString() {
        return name + " (pid " + pid() + ")";
    }
}
