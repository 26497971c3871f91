package io.docjobs.daemon;

import io.docjobs.JobQueue;
import io.docjobs.Schedule;
import io.docjobs.Schedules;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.bson.Document;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code docjobs schedule list|add|pause|resume|remove|trigger}: the queue's schedules, as the
 * running daemons fire them. A schedule added here is fired by any daemon on the queue; one in the
 * configuration file is defined again by each daemon that starts with it.
 */
public final class ScheduleCommands {
    private ScheduleCommands() {
    }

    @Command(name = "schedule", description = "Recurring jobs: list, add, pause, resume, remove, trigger.",
            subcommands = {ListSchedules.class, Add.class, Pause.class, Resume.class, Remove.class, Trigger.class})
    public static final class Group implements Runnable {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "say what to do: schedule list, add, pause, resume, remove or trigger");
        }
    }

    @Command(name = "list", description = "Every schedule: its timing, whether paused, its next and last firing.")
    static final class ListSchedules extends AdminCommands.Base {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            print(out(), queue.schedules().list(), queue.now());
            return 0;
        }
    }

    /** One line per schedule, then its next and last firing; "(none)" when there are none. */
    static void print(PrintWriter out, List<Schedules.Status> schedules, Instant now) {
        if (schedules.isEmpty()) {
            out.println("(none)");
            return;
        }
        for (Schedules.Status status : schedules) {
            Schedule schedule = status.schedule();
            out.printf("%s  %-20s %-7s %s  misfire %s  overlap %s%n", schedule.id(), schedule.type(),
                    status.paused() ? "paused" : "active", schedule.timing(), schedule.misfire(), schedule.overlap());
            out.printf("    next %s  last %s%n",
                    status.nextTime() == null ? "none" : time(status.nextTime()) + " (" + AdminCommands.relative(status.nextTime(), now) + ")",
                    status.lastTime() == null ? "never" : time(status.lastTime()) + " (" + AdminCommands.relative(status.lastTime(), now)
                            + "), job " + status.lastJobId());
        }
    }

    private static String time(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    @Command(name = "add", description = {"Add a schedule, or change the one with this ID (a pause stays).",
            "Its type must have a handler in this configuration."})
    static final class Add extends AdminCommands.Base {
        @Parameters(paramLabel = "ID", description = "the schedule's name: letters, digits, '.', '_', '-' or ':'")
        String id;

        @Option(names = "--type", required = true, paramLabel = "TYPE", description = "type of the jobs it enqueues")
        String type;

        @Option(names = "--cron", paramLabel = "EXPR",
                description = "Unix (5 fields), Spring (6, seconds first) or Quartz ('?', or 7 fields) cron expression")
        String cron;

        @Option(names = "--every", paramLabel = "DURATION", converter = DurationConverter.Positive.class,
                description = "a fixed interval instead of --cron, e.g. 15m")
        Duration every;

        @Option(names = "--zone", paramLabel = "ZONE", defaultValue = "UTC",
                description = "time zone of the cron expression, e.g. Europe/Berlin (default: ${DEFAULT-VALUE})")
        String zone;

        @Option(names = "--payload", paramLabel = "JSON", description = "a JSON object (with --text: any text)")
        String payload;

        @Option(names = "--text", description = "store the payload as text instead of parsing it as JSON")
        boolean text;

        @Option(names = "--priority", paramLabel = "N", defaultValue = "0",
                description = "the jobs' priority, higher first (default: ${DEFAULT-VALUE})")
        int priority;

        @Option(names = "--max-attempts", paramLabel = "N",
                description = "the jobs' attempts (default: queue.defaultMaxAttempts of the configuration)")
        Integer maxAttempts;

        @Option(names = "--jitter", paramLabel = "DURATION", converter = DurationConverter.Delay.class, defaultValue = "0s",
                description = "each job visible up to this much after its time (default: ${DEFAULT-VALUE})")
        Duration jitter;

        @Option(names = "--misfire", paramLabel = "POLICY", defaultValue = "skip",
                description = "after an outage: skip, fireOnce or catchUp(N) (default: ${DEFAULT-VALUE})")
        String misfire;

        @Option(names = "--overlap", paramLabel = "POLICY", defaultValue = "allow",
                description = "allow, or skipIfRunning while the previous job is unfinished (default: ${DEFAULT-VALUE})")
        String overlap;

        @Option(names = "--paused", description = "add it paused")
        boolean paused;

        @Override
        public Integer call() throws Exception {
            if ((cron == null) == (every == null)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give exactly one of --cron and --every");
            }
            return super.call();
        }

        @Override
        int run(DaemonConfig config, JobQueue queue) {
            Document yaml = new Document("type", type).append("zone", zone).append("priority", priority)
                    .append("misfire", misfire).append("overlap", overlap).append("paused", paused)
                    .append("jitter", jitter.toMillis() + "ms");
            if (cron != null) {
                yaml.append("cron", cron);
            } else {
                yaml.append("interval", every.toMillis() + "ms");
            }
            if (maxAttempts != null) {
                yaml.append("maxAttempts", maxAttempts);
            }
            if (payload != null) {
                yaml.append("payload", text ? payload : json(payload));
            }
            List<String> problems = new java.util.ArrayList<>();
            List<Schedule> read = ScheduleSection.read(java.util.Map.of(id, yaml), "schedule add", problems);
            if (!problems.isEmpty()) {
                throw new IllegalArgumentException(String.join("; ", problems).replace("schedule add: schedules." + id + ".",
                        "schedule \"" + id + "\": "));
            }
            Schedule schedule = read.get(0);
            Set<String> handled = AdminCommands.knownTypes(config);
            if (!handled.contains(type)) {
                throw new IllegalArgumentException("schedule \"" + id + "\": type was \"" + type + "\" but must be a type"
                        + " a handler of this configuration serves " + new java.util.TreeSet<>(handled)
                        + "; its jobs would wait for ever");
            }
            Schedules.Status stored = queue.schedules().define(schedule);
            out().println("defined " + id + (stored.paused() ? " (paused)" : "") + ": next "
                    + (stored.nextTime() == null ? "none" : time(stored.nextTime())));
            return 0;
        }

        private static Document json(String text) {
            try {
                return Document.parse(text);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("--payload is not a JSON object (" + e.getMessage()
                        + "); pass --text to use it as text", e);
            }
        }
    }

    /** Base of the commands that name one schedule: exit code 4 when it does not exist. */
    abstract static class Named extends AdminCommands.Base {
        @Parameters(paramLabel = "ID", description = "the schedule, as `docjobs schedule list` shows it")
        String id;

        int notFound() {
            err().println("docjobs: no schedule " + id + "; `docjobs schedule list` shows them");
            return ExitCodes.NOT_FOUND;
        }

        int report(Schedules.Change change, String done, String already) {
            return switch (change) {
                case CHANGED -> {
                    out().println(done + " " + id);
                    yield 0;
                }
                case UNCHANGED -> {
                    out().println(id + " " + already);
                    yield 0;
                }
                case NOT_FOUND -> notFound();
            };
        }
    }

    @Command(name = "pause", description = "Stop a schedule from firing until resumed; exit code 4 if there is none.")
    static final class Pause extends Named {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            return report(queue.schedules().pause(id), "paused", "was already paused");
        }
    }

    @Command(name = "resume", description = "Let a paused schedule fire again, from its next time after now.")
    static final class Resume extends Named {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            return report(queue.schedules().resume(id), "resumed", "was not paused");
        }
    }

    @Command(name = "remove", description = "Delete a schedule; the jobs it enqueued stay.")
    static final class Remove extends Named {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            return report(queue.schedules().remove(id), "removed", "");
        }
    }

    @Command(name = "trigger", description = "Enqueue one job of a schedule now; prints its id.")
    static final class Trigger extends Named {
        @Override
        int run(DaemonConfig config, JobQueue queue) {
            Optional<String> job = queue.schedules().trigger(id);
            if (job.isEmpty()) {
                return notFound();
            }
            out().println(job.get());
            return 0;
        }
    }
}
