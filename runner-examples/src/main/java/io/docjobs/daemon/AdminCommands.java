package io.docjobs.daemon;

import io.docjobs.AdminResult;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.DeadLetterPage;
import io.docjobs.EnqueueResult;
import io.docjobs.JobEntry;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import io.docjobs.QueueStats;
import io.docjobs.RequeueResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The admin commands: {@code enqueue}, {@code stats}, {@code dead list|requeue|purge},
 * {@code peek}, {@code job cancel|delete|run-now|priority} ({@link ScheduleCommands} has {@code schedule ...}). They connect as the daemon does: the configured connection string, or else the
 * embedded database of a daemon running on this host ({@code 127.0.0.1:embedded.port}).
 */
public final class AdminCommands {
    private AdminCommands() {
    }

    static JobQueue open(DaemonConfig config) {
        if (!config.database().embedded()) {
            return JobQueue.connect(Daemon.queueConfig(config, config.database().connectionString()));
        }
        String uri = "mongodb://127.0.0.1:" + config.embedded().port();
        try {
            return JobQueue.connect(Daemon.queueConfig(config, uri));
        } catch (DatabaseUnavailableException e) {
            throw new DatabaseUnavailableException("no docjobs daemon with an embedded database answers on " + uri
                    + ": start one with `docjobs run`, or set database.connectionString (DOCJOBS_DATABASE_CONNECTION_STRING)"
                    + " to reach your MongoDB / DocumentDB", e);
        }
    }

    /** The types a daemon with this configuration has handlers for: those of the file and those discovered. */
    static Set<String> knownTypes(DaemonConfig config) {
        try {
            return HandlerLoader.load(config, AdminCommands.class.getClassLoader()).keySet();
        } catch (ConfigException e) {
            return config.handlers().keySet();
        }
    }

    /** Base of the commands: the shared {@code --config} option and an output stream tests can capture. */
    abstract static class Base implements Callable<Integer> {
        @Mixin
        ConfigOption configOption;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        @Override
        public Integer call() throws Exception {
            LogLevels.quiet("io.docjobs");
            DaemonConfig config = configOption.load();
            try (JobQueue queue = open(config)) {
                return run(config, queue);
            }
        }

        abstract int run(DaemonConfig config, JobQueue queue) throws Exception;
    }

    @Command(name = "enqueue", description = "Enqueue one job.")
    public static final class Enqueue extends Base {
        @Option(names = "--type", required = true, paramLabel = "TYPE", description = "job type, e.g. email.send")
        String type;

        @Option(names = "--payload", required = true, paramLabel = "JSON|@FILE",
                description = "a JSON object, or @path of a file holding one (with --text: any text)")
        String payload;

        @Option(names = "--text", description = "store the payload as text instead of parsing it as JSON")
        boolean text;

        @Option(names = "--delay", paramLabel = "DURATION", converter = DurationConverter.Delay.class, defaultValue = "0s",
                description = "claimable only after this delay, e.g. 30s or 2h (default: ${DEFAULT-VALUE})")
        Duration delay;

        @Option(names = "--priority", paramLabel = "N", defaultValue = "0",
                description = "higher is claimed first (default: ${DEFAULT-VALUE})")
        int priority;

        @Option(names = "--visibility-timeout", paramLabel = "DURATION", converter = DurationConverter.Lease.class,
                description = "lease length, e.g. 5m (default: queue.defaultVisibilityTimeout of the configuration)")
        Duration visibilityTimeout;

        @Option(names = "--max-attempts", paramLabel = "N",
                description = "attempts before dead-lettering (default: queue.defaultMaxAttempts of the configuration)")
        Integer maxAttempts;

        @Option(names = "--dedup-key", paramLabel = "KEY",
                description = "enqueue nothing if an unfinished job of this queue holds this key (default: none)")
        String dedupKey;

        @Override
        int run(DaemonConfig config, JobQueue queue) throws IOException {
            String body = payload;
            if (payload.startsWith("@")) {
                Path file = Path.of(payload.substring(1));
                // Not isRegularFile: @/dev/stdin and @<(command) are pipes and must keep working.
                if (Files.isDirectory(file) || !Files.isReadable(file)) {
                    throw new IllegalArgumentException("--payload " + payload + ": file " + file.toAbsolutePath()
                            + (Files.isDirectory(file) ? " is a directory" : " does not exist or cannot be read"));
                }
                try {
                    body = Files.readString(file);
                } catch (java.nio.charset.CharacterCodingException e) {
                    // Bad input, not an unexpected failure: exit 2 naming the file, no stack trace.
                    throw new IllegalArgumentException("--payload " + payload + ": file " + file.toAbsolutePath()
                            + " is not UTF-8 text (" + e + "); payloads are JSON or, with --text, UTF-8 text", e);
                }
            }
            JobRequest.Builder request = JobRequest.builder(type).priority(priority).delay(delay)
                    .visibilityTimeout(visibilityTimeout).dedupKey(dedupKey);
            if (text) {
                request.payload(body);
            } else {
                try {
                    request.jsonPayload(body);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--payload is not a JSON object (" + e.getCause().getMessage()
                            + "); pass --text to enqueue it as text", e);
                }
            }
            if (maxAttempts != null) {
                request.maxAttempts(maxAttempts);
            }
            EnqueueResult result = queue.enqueue(request.build());
            out().println(result.isDuplicate()
                    ? result.id() + " (duplicate: an unfinished job already holds dedup key \"" + dedupKey + "\"; nothing enqueued)"
                    : result.id());
            return 0;
        }
    }

    @Command(name = "stats", description = "Counts by type and state, oldest ready age, types with no handler.")
    public static final class Stats extends Base {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            QueueStats stats = queue.stats();
            PrintWriter out = out();
            out.printf("%-28s %9s %9s %9s %9s %9s %12s%n", "TYPE", "READY", "DELAYED", "LEASED", "EXPIRED", "DEAD", "OLDEST");
            for (QueueStats.TypeStats row : stats.byType()) {
                out.printf("%-28s %9d %9d %9d %9d %9d %12s%n", row.type(), row.ready(), row.delayed(), row.leased(),
                        row.expiredLeases(), row.dead(), age(row.oldestReadyAge()));
            }
            out.printf("%-28s %9d %9d %9d %9d %9d %12s%n", "(all)", stats.ready(), stats.delayed(), stats.leased(),
                    stats.expiredLeases(), stats.dead(), age(stats.oldestReadyAge()));
            Set<String> handled = knownTypes(config);
            Set<String> orphans = new TreeSet<>();
            stats.byType().stream().filter(row -> row.unfinished() > 0 && !handled.contains(row.type()))
                    .forEach(row -> orphans.add(row.type()));
            if (!orphans.isEmpty()) {
                out.println("types with no handler in this configuration: " + String.join(", ", orphans));
            }
            List<io.docjobs.Schedules.Status> schedules = queue.schedules().list();
            if (!schedules.isEmpty()) {
                out.println("schedules:");
                ScheduleCommands.print(out, schedules, stats.at());
            }
            return 0;
        }

        private static String age(Duration age) {
            return age.isZero() ? "-" : age.toMillis() < 1000 ? age.toMillis() + "ms" : age.toSeconds() + "s";
        }
    }

    @Command(name = "peek", description = {"Show the next jobs in claim order without claiming them.",
            "Each is ready (claimable now) or delayed (claimable from its visible-at time on)."})
    public static final class Peek extends Base {
        @Option(names = "--type", paramLabel = "TYPE", description = "only this type")
        String type;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "10", description = "how many (default: ${DEFAULT-VALUE})")
        int limit;

        @Override
        int run(DaemonConfig config, JobQueue queue) {
            print(out(), queue.peek(type, limit), queue.now());
            return 0;
        }
    }

    @Command(name = "dead", description = "Dead letters: list, requeue, purge.",
            subcommands = {DeadList.class, DeadRequeue.class, DeadPurge.class})
    public static final class Dead implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: dead list, dead requeue or dead purge");
        }
    }

    @Command(name = "list", description = {"List dead letters, newest first: when each died and its last error.",
            "A full page ends with the command that lists the next one (--after CURSOR)."})
    static final class DeadList extends Base {
        @Option(names = "--type", paramLabel = "TYPE", description = "only this type")
        String type;

        @Option(names = "--after", paramLabel = "CURSOR",
                description = "start after this position: the cursor the page before printed (default: the newest)")
        String after;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "20", description = "how many (default: ${DEFAULT-VALUE})")
        int limit;

        @Override
        int run(DaemonConfig config, JobQueue queue) {
            DeadLetterPage page = queue.deadLetters(type, after, limit);
            print(out(), page.entries(), queue.now());
            if (page.hasNext()) {
                // --after=: a cursor may start with "-".
                out().println("next page: docjobs dead list" + (type == null ? "" : " --type=" + shellWord(type))
                        + " --after=" + page.next() + " --limit " + limit);
            }
            return 0;
        }
    }

    @Command(name = "requeue", description = {"Make dead letters ready again, attempts reset.",
            "Exit code 4 if ID is not a dead letter (or an unfinished job holds its dedup key): nothing changed."})
    static final class DeadRequeue extends Base {
        @Parameters(arity = "0..1", paramLabel = "ID", description = "the dead entry to requeue")
        String id;

        @Option(names = "--all", description = "requeue every dead letter (of --type, if given)")
        boolean all;

        @Option(names = "--type", paramLabel = "TYPE", description = "with --all: only this type")
        String type;

        @Mixin
        ByOption by;

        @Override
        public Integer call() throws Exception {
            // Usage mistakes first, before any connection attempt.
            if (all == (id != null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), all
                        ? "give either an ID or --all, not both"
                        : "say which dead letters to requeue: an ID (see `docjobs dead list`) or --all");
            }
            if (type != null && !all) {
                throw new CommandLine.ParameterException(spec.commandLine(),
                        "--type only applies with --all; an ID names one job already");
            }
            return super.call();
        }

        @Override
        int run(DaemonConfig config, JobQueue queue) {
            if (all) {
                out().println("requeued " + queue.requeueAllDead(type, by.name()) + " dead letters");
                return 0;
            }
            RequeueResult result = queue.requeueDead(id, by.name());
            if (result.status() == RequeueResult.Status.DEDUP_KEY_HELD) {
                err().println("docjobs: " + result.describe());
                return ExitCodes.NOT_FOUND;
            }
            if (!result.isRequeued()) {
                Optional<JobEntry> entry = queue.get(id);
                err().println("docjobs: " + (entry.isEmpty()
                        ? "no job with id " + id + ": it completed (completed jobs are deleted), was purged, or never existed"
                        : "job " + id + " is " + state(entry.get(), queue.now()) + ", not dead: nothing to requeue")
                        + "; `docjobs dead list` shows the dead letters");
                return ExitCodes.NOT_FOUND;
            }
            out().println("requeued " + id);
            return 0;
        }
    }

    @Command(name = "purge", description = "Delete dead letters.")
    static final class DeadPurge extends Base {
        @Option(names = "--type", paramLabel = "TYPE", description = "only this type")
        String type;

        @Option(names = "--older-than", paramLabel = "DURATION", converter = DurationConverter.Age.class, defaultValue = "0s",
                description = "only those dead-lettered longer ago than this, e.g. 7d (default: ${DEFAULT-VALUE}: all)")
        Duration olderThan;

        @Mixin
        ByOption by;

        @Override
        int run(DaemonConfig config, JobQueue queue) {
            long purged = queue.purgeDead(type, queue.now().minus(olderThan).plusMillis(1), by.name());
            out().println("purged " + purged + " dead letters");
            return 0;
        }
    }

    /** {@code --by NAME}: who asks, for the queue's audit log; the operating-system user by default. */
    static final class ByOption {
        @Option(names = "--by", paramLabel = "NAME",
                description = "who asks, recorded in the audit log (default: the operating-system user, ${sys:user.name})")
        String by;

        String name() {
            return by != null ? by : System.getProperty("user.name", "unknown");
        }
    }

    @Command(name = "job", description = {"Change one waiting or running job: cancel, delete, run now, set its priority.",
            "Each is recorded with who asked (--by) and when in the queue's audit log.",
            "Exit code 4 if the job is not there in a state the command applies to: nothing changed."},
            subcommands = {JobCancel.class, JobDelete.class, JobRunNow.class, JobPriority.class})
    public static final class Job implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "say what to do: job cancel, job delete, job run-now or job priority");
        }
    }

    /** Base of the {@code job} commands: the job id, {@code --by}, and the output of an {@link AdminResult}. */
    abstract static class JobCommand extends Base {
        @Parameters(index = "0", paramLabel = "ID", description = "the job's id (see `docjobs peek`, `docjobs dead list`)")
        String id;

        @Mixin
        ByOption by;

        /**
         * What changed, on stdout with exit code 0; when nothing changed because the wanted state
         * holds already, the same; a refusal on stderr with exit code 4.
         */
        int report(AdminResult result) {
            if (result.status() == AdminResult.Status.NOT_FOUND || result.status() == AdminResult.Status.WRONG_STATE) {
                err().println("docjobs: " + result.describe());
                return ExitCodes.NOT_FOUND;
            }
            out().println(result.describe());
            return 0;
        }
    }

    @Command(name = "cancel", description = {"Cancel a job. A waiting (ready or delayed) job is removed at once;",
            "a running one is stopped by its worker at its next heartbeat and ends as cancelled, not retried."})
    static final class JobCancel extends JobCommand {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            return report(queue.cancel(id, by.name()));
        }
    }

    @Command(name = "delete", description = "Delete a waiting or dead job for good. A running job must be cancelled first.")
    static final class JobDelete extends JobCommand {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            return report(queue.delete(id, by.name()));
        }
    }

    @Command(name = "run-now", description = "Make a delayed job claimable now.")
    static final class JobRunNow extends JobCommand {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            return report(queue.runNow(id, by.name()));
        }
    }

    @Command(name = "priority", description = "Set the priority of a waiting job (higher is claimed first).")
    static final class JobPriority extends JobCommand {
        @Parameters(index = "1", paramLabel = "PRIORITY", description = "the new priority, any whole number")
        int priority;

        @Override
        int run(DaemonConfig config, JobQueue queue) {
            return report(queue.setPriority(id, priority, by.name()));
        }
    }

    /**
     * One block per entry: id, type, state, attempts, priority, when enqueued and — by state — when
     * it becomes claimable (delayed), since when it is (ready) or when it died (dead); then the
     * first line of the last error and, for an entry read with its payload, the start of it.
     */
    static void print(PrintWriter out, List<JobEntry> entries, Instant now) {
        if (entries.isEmpty()) {
            out.println("(none)");
            return;
        }
        for (JobEntry entry : entries) {
            out.printf("%s  %-20s %-7s attempts %d/%d  priority %d  enqueued %s  %s%n", entry.id(), entry.type(),
                    state(entry, now), entry.attempts(), entry.maxAttempts(), entry.priority(), time(entry.enqueuedAt()),
                    when(entry, now));
            if (entry.lastError() != null) {
                String message = entry.lastError().message().strip();
                String[] lines = message.split("\\R", -1);
                out.printf("    last error (attempt %d, %s): %s%s%s%n", entry.lastError().attempt(), entry.lastError().workerId(),
                        entry.lastError().exceptionClass() == null ? "" : entry.lastError().exceptionClass() + ": ",
                        lines[0], lines.length > 1 ? "  [+" + (lines.length - 1) + " more lines]" : "");
            }
            // Lists come without payloads (they may be large); an entry read by id has one.
            String payload = entry.payload();
            if (payload != null) {
                out.printf("    payload: %s%n", payload.length() > 200 ? payload.substring(0, 200) + "…" : payload);
            }
        }
    }

    /** {@code word} as one shell word: as it is if plain, else in single quotes. */
    static String shellWord(String word) {
        return word.matches("[A-Za-z0-9._:/@+=-]+") ? word : "'" + word.replace("'", "'\\''") + "'";
    }

    /** The state as a user sees it: a READY entry whose visible-at time is still ahead is "delayed". */
    static String state(JobEntry entry, Instant now) {
        if (entry.state() == JobState.READY && entry.visibleAt() != null && entry.visibleAt().isAfter(now)) {
            return "delayed";
        }
        return entry.state().stored();
    }

    private static String when(JobEntry entry, Instant now) {
        return switch (entry.state()) {
            case READY -> entry.visibleAt() == null ? ""
                    : entry.visibleAt().isAfter(now)
                            ? "visible at " + time(entry.visibleAt()) + " (" + relative(entry.visibleAt(), now) + ")"
                            : "ready since " + time(entry.visibleAt()) + " (" + relative(entry.visibleAt(), now) + ")";
            case DEAD -> entry.deadAt() == null ? "" : "died " + time(entry.deadAt()) + " (" + relative(entry.deadAt(), now) + ")";
            default -> entry.visibleAt() == null ? ""
                    : "lease until " + time(entry.visibleAt()) + " (" + relative(entry.visibleAt(), now) + ")";
        };
    }

    private static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** "in 10m" for a time ahead (rounded up to the second), "3h 5m ago" for one past (rounded down). */
    static String relative(Instant at, Instant now) {
        Duration between = Duration.between(now, at);
        if (between.isZero()) {
            return "now";
        }
        if (between.isNegative()) {
            return span(between.negated(), false) + " ago";
        }
        return "in " + span(between, true);
    }

    private static String span(Duration duration, boolean roundUp) {
        if (duration.toMillis() < 1000) {
            return Math.max(duration.toMillis(), roundUp ? 1 : 0) + "ms";
        }
        long seconds = duration.getSeconds() + (roundUp && duration.getNano() > 0 ? 1 : 0);
        long[] amounts = {seconds / 86_400, seconds % 86_400 / 3_600, seconds % 3_600 / 60, seconds % 60};
        String[] units = {"d", "h", "m", "s"};
        int first = 0;
        while (amounts[first] == 0) {
            first++;
        }
        String text = amounts[first] + units[first];
        return first < 3 && amounts[first + 1] > 0 ? text + " " + amounts[first + 1] + units[first + 1] : text;
    }
}
