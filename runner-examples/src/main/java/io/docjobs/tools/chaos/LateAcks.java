package io.docjobs.tools.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a daemon's log says became of the acknowledgements of its jobs: the supervisor logs a
 * {@code done} the database refused (the lease had moved on), one it could not write at all, and a
 * lease a heartbeat found lost while the handler ran, each naming the job and attempt. A handler
 * cannot see these (it returned before {@code done} was sent), so the run reads them here.
 */
final class LateAcks {
    /** What became of one attempt's acknowledgement. */
    enum Fate {
        /** {@code done} reached the database and was refused: the lease was no longer this worker's. */
        REFUSED("finished but its lease was lost"),
        /** {@code done} (or the release) could not be written: the lease expired without it. */
        NOT_WRITTEN("could not record the outcome of"),
        /** A heartbeat found the lease lost while the handler ran; the handler was cancelled. */
        LOST_WHILE_RUNNING("lost its lease");

        final String marker;

        Fate(String marker) {
            this.marker = marker;
        }
    }

    private static final Pattern JOB = Pattern.compile("job ([0-9a-f]{24}) \\(type \"[^\"]*\", attempt (\\d+)\\)");

    private LateAcks() {
    }

    /** The fates logged in {@code lines}, by {@link #key}; the later line wins. */
    static Map<String, Fate> parse(List<String> lines) {
        Map<String, Fate> fates = new HashMap<>();
        for (String line : lines) {
            for (Fate fate : Fate.values()) {
                if (line.contains(fate.marker)) {
                    Matcher job = JOB.matcher(line);
                    if (job.find()) {
                        fates.put(key(job.group(1), Integer.parseInt(job.group(2))), fate);
                    }
                    break;
                }
            }
        }
        return fates;
    }

    /** The fates in the log file of daemon {@code daemon} in {@code workDir}; none if it has no log. */
    static Map<String, Fate> ofDaemon(Path workDir, String daemon) {
        Path log = workDir.resolve(daemon + ".log");
        if (!Files.isRegularFile(log)) {
            return Map.of();
        }
        try {
            return parse(Files.readAllLines(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the log of " + daemon + ": " + log, e);
        }
    }

    static String key(String job, int attempt) {
        return job + "#" + attempt;
    }
}
