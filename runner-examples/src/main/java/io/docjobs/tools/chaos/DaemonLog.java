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
 * What a daemon's log tells the chaos run that no execution record can: what became of the
 * acknowledgements of its jobs (the supervisor logs a {@code done} the database refused because
 * the lease had moved on, one it could not write at all, and a lease a heartbeat found lost while
 * the handler ran, each naming the job and attempt; a handler returned before {@code done} was
 * sent, so it cannot know), and whether its claims worked again after their last failure.
 */
final class DaemonLog {
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

    /**
     * The evidence of one daemon's log.
     *
     * @param fates           acknowledgement fates by {@link #key}; the later line wins
     * @param claimsWorkAgain whether the last word of its claim loop on an outage was that claims
     *                        work again (or it never had one)
     */
    record Evidence(Map<String, Fate> fates, boolean claimsWorkAgain) {
        /** A daemon without a log. */
        static final Evidence NONE = new Evidence(Map.of(), false);
    }

    private static final Pattern JOB = Pattern.compile("job ([0-9a-f]{24}) \\(type \"[^\"]*\", attempt (\\d+)\\)");
    private static final String CLAIMS = "claiming jobs from ";
    private static final String RECOVERED = " works again after ";

    private DaemonLog() {
    }

    static Evidence parse(List<String> lines) {
        Map<String, Fate> fates = new HashMap<>();
        boolean claimsWork = true;
        for (String line : lines) {
            if (line.contains(CLAIMS)) {
                claimsWork = line.contains(RECOVERED);
            }
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
        return new Evidence(Map.copyOf(fates), claimsWork);
    }

    /** The evidence in the log file of daemon {@code daemon} in {@code workDir}; none if it has no log. */
    static Evidence of(Path workDir, String daemon) {
        Path log = workDir.resolve(daemon + ".log");
        if (!Files.isRegularFile(log)) {
            return Evidence.NONE;
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
