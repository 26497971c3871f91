package io.docjobs.tools.chaos;

import io.docjobs.Schedule;
import io.docjobs.Schedules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.bson.Document;

/**
 * The schedules of the chaos run, firing every second throughout: one at a fixed interval of 1 s,
 * one by the cron expression {@value #CRON} (every whole second). Their jobs are chaos jobs
 * ({@link ChaosHandler}) with the payload {@code {"schedule": id}}.
 *
 * <p>They are in the daemons' configuration, so every daemon defines them at start, replacements
 * too (the same definition again changes nothing). The driver defines them first, paused, so that
 * their times start when the fleet runs rather than while the JVMs start: {@link #start} resumes
 * them and notes each one's first time; {@link #stop} waits until every time up to now was fired,
 * pauses them, waits until no firing is under way and notes each one's last time. Between those
 * two, every time must get exactly one job ({@link ScheduleCheck}).
 *
 * <p>Misfire policy {@code catchUp(1000)}: a time reached late — no daemon fired it for a while —
 * fires anyway, one job per missed time, up to 1,000 of them; so "every time exactly once" is
 * the right expectation as long as no daemon fires for less than 1,000 s. The longest gap the run
 * can cause is a daemon killed while it held a schedule's lease: nothing fires that schedule until
 * the lease expires (1 minute), then the next daemon catches up.
 */
final class ChaosSchedules {
    /** The interval schedule. */
    static final String EVERY_SECOND = "chaos.every-second";
    /** The cron schedule. */
    static final String CRON_SECONDS = "chaos.cron-seconds";
    /** Every whole second, Spring's six fields (seconds first). */
    static final String CRON = "* * * * * *";
    private static final Duration STEP = Duration.ofSeconds(1);
    /**
     * How long a scheduler holds a schedule's lease (README, "Schedules": 1 min). A daemon killed
     * while firing keeps the schedule unfired this long.
     */
    private static final Duration SCHEDULE_LEASE = Duration.ofMinutes(1);
    /** How long the end waits for a schedule to fire its due times, or for a firing under way to end. */
    private static final Duration PATIENCE = SCHEDULE_LEASE.plusSeconds(15);
    private static final long POLL_MS = 100;

    private final Schedules schedules;
    private final QueueView view;
    private final List<Schedule> definitions;
    private final Map<String, Instant> firstTimes = new LinkedHashMap<>();

    ChaosSchedules(Schedules schedules, QueueView view, ChaosSettings settings) {
        this.schedules = schedules;
        this.view = view;
        this.definitions = definitions(settings);
    }

    /** The run's schedules; paused when first defined (a pause or resume is kept when defined again). */
    static List<Schedule> definitions(ChaosSettings settings) {
        return List.of(
                chaosSchedule(EVERY_SECOND, settings).interval(STEP).build(),
                chaosSchedule(CRON_SECONDS, settings).cron(CRON).build());
    }

    private static Schedule.Builder chaosSchedule(String id, ChaosSettings settings) {
        return Schedule.builder(id, ChaosHandler.TYPE).payload(new Document(ChaosHandler.SCHEDULE_KEY, id))
                .visibilityTimeout(settings.visibilityTimeout()).maxAttempts(Producer.MAX_ATTEMPTS)
                .misfire(Schedule.Misfire.catchUp(Schedule.MAX_CATCH_UP)).paused(true);
    }

    /** The {@code schedules:} section of the daemons' configuration: the same definitions as {@link #definitions}. */
    static String yaml(ChaosSettings settings) {
        StringBuilder yaml = new StringBuilder("""
                # Every second throughout the run, defined paused by the driver before the daemons start, resumed
                # once they run; each daemon defines them again at start (same definition: nothing changes).
                schedules:
                """);
        for (String id : List.of(EVERY_SECOND, CRON_SECONDS)) {
            yaml.append("  ").append(id).append(":\n")
                    .append("    type: ").append(ChaosHandler.TYPE).append('\n')
                    .append(id.equals(CRON_SECONDS) ? "    cron: \"" + CRON + "\"\n" : "    interval: " + STEP.toMillis() + "ms\n")
                    .append("    payload: {").append(ChaosHandler.SCHEDULE_KEY).append(": ").append(id).append("}\n")
                    .append("    visibilityTimeout: ").append(settings.visibilityTimeout().toMillis()).append("ms\n")
                    .append("    maxAttempts: ").append(Producer.MAX_ATTEMPTS).append('\n')
                    .append("    misfire: catchUp(").append(Schedule.MAX_CATCH_UP).append(")\n")
                    .append("    paused: true\n");
        }
        return yaml.toString();
    }

    /** Defines the schedules, paused: before any daemon starts. */
    void define() {
        definitions.forEach(schedules::define);
    }

    /**
     * Resumes the schedules (the fleet runs) and notes each one's first time: its next time now, or
     * the time it already fired for if a daemon was quicker than this read.
     */
    void start() {
        for (Schedule schedule : definitions) {
            Schedules.Change change = schedules.resume(schedule.id());
            if (change != Schedules.Change.CHANGED) {
                throw new IllegalStateException("schedule " + schedule.id() + " could not be resumed at the start: " + change);
            }
            Schedules.Status status = schedules.get(schedule.id()).orElseThrow(() -> new IllegalStateException(
                    "schedule " + schedule.id() + " is gone right after it was resumed"));
            firstTimes.put(schedule.id(), status.lastTime() != null ? status.lastTime() : status.nextTime());
        }
    }

    /**
     * Stops the schedules for the check: waits until each fired every time up to now, pauses it,
     * and waits until no firing of it is under way (a firing that had begun still commits after
     * the pause). Returns each one's window of expected times; a wait that ran out is a problem of
     * that window.
     */
    List<ScheduleCheck.Window> stop() throws InterruptedException {
        Instant stopAt = Instant.now();
        List<ScheduleCheck.Window> windows = new ArrayList<>();
        for (Schedule schedule : definitions) {
            String id = schedule.id();
            List<String> problems = new ArrayList<>();
            if (!await(() -> firedThrough(id, stopAt))) {
                problems.add("the times up to " + stopAt + " were not all fired within " + PATIENCE.toSeconds()
                        + " s (next time still " + status(id).nextTime() + "): the schedulers stopped firing it");
            }
            schedules.pause(id);
            if (!await(() -> !view.scheduleBusy(id, Instant.now()))) {
                problems.add("a firing was still under way " + PATIENCE.toSeconds() + " s after the pause");
            }
            Schedules.Status status = status(id);
            windows.add(new ScheduleCheck.Window(id, schedule.timing(), STEP, schedule.cron() != null,
                    firstTimes.get(id), status.lastTime(), problems));
        }
        return windows;
    }

    /**
     * Waits until no job of the schedules is left to run (READY or LEASED), at most {@code patience}:
     * a job whose daemon was killed comes back when its lease expires. Whether none is left.
     */
    boolean awaitJobsDone(Duration patience) throws InterruptedException {
        return await(() -> view.scheduledUnfinished() == 0, patience);
    }

    /** The schedules' windows when they could not be stopped for the check: each says why. */
    List<ScheduleCheck.Window> unchecked(String why) {
        return definitions.stream().map(schedule -> new ScheduleCheck.Window(schedule.id(), schedule.timing(), STEP,
                schedule.cron() != null, firstTimes.get(schedule.id()), null, List.of("not checked: " + why))).toList();
    }

    private boolean firedThrough(String id, Instant stopAt) {
        Instant next = status(id).nextTime();
        return next == null || next.isAfter(stopAt);
    }

    private Schedules.Status status(String id) {
        return schedules.get(id).orElseThrow(() -> new IllegalStateException("schedule " + id + " disappeared during the run"));
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        return await(condition, PATIENCE);
    }

    /** Polls {@code condition} until it holds or {@code patience} passes; whether it held. */
    private static boolean await(BooleanSupplier condition, Duration patience) throws InterruptedException {
        long giveUp = System.nanoTime() + patience.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > giveUp) {
                return false;
            }
            TimeUnit.MILLISECONDS.sleep(POLL_MS);
        }
        return true;
    }
}
