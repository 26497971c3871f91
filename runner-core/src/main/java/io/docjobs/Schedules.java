package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The schedules of a queue ({@link JobQueue#schedules()}): kept in the collection
 * {@code <queue collection>_schedules}, one document per {@link Schedule}, with its next time, its
 * last firing and the lease of the scheduler firing it. Defining and administering schedules needs
 * no scheduler; firing them is what a {@link Supervisor} with schedules does, by calling
 * {@link #fireDue(String)} once a second while schedules are due, and waiting for the
 * {@link #nextDue() next time} otherwise.
 *
 * <p>Each time of a schedule enqueues exactly one job, whatever the number of schedulers and
 * wherever one of them crashes (see the README's "Schedules" for the argument). Thread-safe;
 * transient database errors are retried as for the queue.
 */
public interface Schedules {

    /**
     * Creates the schedule, or updates its definition if one with its id exists. A new schedule's
     * first time is its first after now; an update that changes the timing (cron, interval, zone)
     * starts again from now, other changes keep the next time. A pause or resume made since
     * (through {@link #pause}, {@link #resume} or the CLI) is kept: {@link Schedule#paused()} applies
     * only when the schedule is created.
     *
     * @param schedule the definition
     * @return the schedule as stored now
     */
    Status define(Schedule schedule);

    /** {@return every schedule of the queue, by id; one round trip} */
    List<Status> list();

    /**
     * {@return the schedule named {@code id}, or empty}
     *
     * @param id the schedule's id
     */
    Optional<Status> get(String id);

    /**
     * Stops the schedule from firing until {@link #resume}d; a firing under way still completes.
     *
     * @param id the schedule's id
     * @return what happened
     */
    Change pause(String id);

    /**
     * Lets a paused schedule fire again, from its first time after now (times missed while paused
     * are not misfires: they never fire).
     *
     * @param id the schedule's id
     * @return what happened
     */
    Change resume(String id);

    /**
     * Deletes the schedule. Jobs it already enqueued stay; a firing it committed is enqueued first.
     *
     * @param id the schedule's id
     * @return {@link Change#CHANGED}, or {@link Change#NOT_FOUND}
     */
    Change remove(String id);

    /**
     * Enqueues one job of the schedule now, outside its times (its next time does not move, and its
     * overlap policy does not apply).
     *
     * @param id the schedule's id
     * @return the id of the job enqueued, or empty if there is no such schedule
     */
    Optional<String> trigger(String id);

    /**
     * Fires every due time of every schedule not fired by another scheduler right now, and
     * completes firings a crashed scheduler left half done. What a {@link Supervisor} runs once a
     * second; call it yourself to step a schedule in tests.
     *
     * @param owner names the caller in the schedules' leases, e.g. the supervisor's worker id
     * @return what this call did, in order
     */
    List<Firing> fireDue(String owner);

    /**
     * {@return when {@link #fireDue} next has work: the earliest next time of a schedule that is
     * not paused, or the time of a firing a crashed scheduler left half done (then it is due at
     * once); empty if no schedule will fire again. Database time; one round trip}
     */
    Optional<Instant> nextDue();

    /** What {@link #pause}, {@link #resume} or {@link #remove} did. */
    enum Change {
        /** The schedule changed. */
        CHANGED,
        /** The schedule was already so: paused when pausing, running when resuming. */
        UNCHANGED,
        /** There is no schedule with this id. */
        NOT_FOUND
    }

    /**
     * A schedule as stored.
     *
     * @param schedule       the definition
     * @param paused         whether it is paused now
     * @param nextTime       its next time; null if it has none (a cron expression whose times are over)
     * @param lastTime       the time it last fired for, or null if it never fired
     * @param lastJobId      the job that firing enqueued, or null
     * @param lastEnqueuedAt when that job was enqueued (database time), or null
     */
    record Status(Schedule schedule, boolean paused, @Nullable Instant nextTime, @Nullable Instant lastTime,
            @Nullable String lastJobId, @Nullable Instant lastEnqueuedAt) {
    }

    /**
     * One thing {@link #fireDue} did for one time of a schedule.
     *
     * @param scheduleId the schedule
     * @param time       the time fired or skipped (for skipped misfires, the first of them)
     * @param outcome    what happened
     * @param jobId      the job enqueued, for {@link Outcome#ENQUEUED}; else null
     * @param lag        from the time to the enqueue, for {@link Outcome#ENQUEUED}; else zero
     * @param missed     how many times were missed: skipped as misfires, or folded into this one
     *                   firing by {@link Schedule.Misfire#fireOnce()}; counted up to 10,000
     */
    record Firing(String scheduleId, Instant time, Outcome outcome, @Nullable String jobId, Duration lag,
            int missed) {

        /** What became of a time. */
        public enum Outcome {
            /** A job was enqueued for it. */
            ENQUEUED,
            /** Missed by more than the misfire threshold, and skipped by the misfire policy. */
            MISFIRE_SKIPPED,
            /** Skipped because the previous job was unfinished ({@link Schedule.Overlap#SKIP_IF_RUNNING}). */
            OVERLAP_SKIPPED
        }
    }
}
