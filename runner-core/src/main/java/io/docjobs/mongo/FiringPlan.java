package io.docjobs.mongo;

import io.docjobs.Schedule;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What to do about a schedule's due time, by its misfire policy: a pure function of the
 * definition, the due time and now, so every scheduler decides the same and the decision is tested
 * without a database.
 *
 * @param fire   true: enqueue a job for {@code time}; false: skip
 * @param time   the time fired, or the first time skipped
 * @param next   the schedule's next time after this step; null if it has none
 * @param missed times missed: skipped, or folded into this firing (counted up to {@link #MAX_COUNTED})
 */
record FiringPlan(boolean fire, Instant time, @Nullable Instant next, int missed) {
    /** Missed times are counted up to this many; beyond, the count says "at least". */
    static final int MAX_COUNTED = 10_000;
    /** When the count overflows, the latest times are looked for in windows this long before now. */
    private static final List<Duration> WINDOWS = List.of(Duration.ofMinutes(1), Duration.ofHours(1), Duration.ofDays(1),
            Duration.ofDays(31), Duration.ofDays(366));

    /** The plan for due time {@code due} (not after {@code now}). */
    static FiringPlan decide(Schedule schedule, Instant due, Instant now) {
        if (Duration.between(due, now).compareTo(schedule.misfireThreshold()) <= 0) {
            return new FiringPlan(true, due, next(schedule, due), 0);
        }
        Schedule.Misfire misfire = schedule.misfire();
        int keep = misfire.policy() == Schedule.Misfire.Policy.CATCH_UP ? misfire.max() : 1;
        Missed missed = missed(schedule, due, now, keep);
        return switch (misfire.policy()) {
            case SKIP -> new FiringPlan(false, due, missed.nextAfterNow, missed.count);
            case FIRE_ONCE -> new FiringPlan(true, missed.latest.get(missed.latest.size() - 1), missed.nextAfterNow,
                    missed.count - 1);
            // Within the allowance every missed time fires in turn; beyond it, skip to the first kept.
            case CATCH_UP -> missed.count <= keep ? new FiringPlan(true, due, next(schedule, due), 0)
                    : new FiringPlan(false, due, missed.latest.get(0), missed.count - keep);
        };
    }

    private static @Nullable Instant next(Schedule schedule, Instant after) {
        return schedule.nextTimeAfter(after).orElse(null);
    }

    /**
     * The missed times from {@code due} through {@code now}: how many (at most {@link #MAX_COUNTED}),
     * the latest {@code keep} of them, oldest first, and the first time after now.
     */
    record Missed(int count, List<Instant> latest, @Nullable Instant nextAfterNow) {
        Missed {
            latest = List.copyOf(latest);
        }
    }

    static Missed missed(Schedule schedule, Instant due, Instant now, int keep) {
        ArrayDeque<Instant> latest = new ArrayDeque<>(keep + 1);
        if (schedule.interval() != null) {
            // On the instant line from due: arithmetic, however long the outage.
            Duration interval = schedule.interval();
            long count = Duration.between(due, now).dividedBy(interval) + 1;
            Instant last = due.plus(interval.multipliedBy(count - 1));
            for (long i = Math.min(count, keep) - 1; i >= 0; i--) {
                latest.addLast(last.minus(interval.multipliedBy(i)));
            }
            return new Missed((int) Math.min(count, MAX_COUNTED), List.copyOf(latest), last.plus(interval));
        }
        int count = 0;
        Instant time = due;
        while (time != null && !time.isAfter(now) && count < MAX_COUNTED) {
            count++;
            keepLatest(latest, time, keep);
            time = next(schedule, time);
        }
        if (count < MAX_COUNTED) {
            return new Missed(count, List.copyOf(latest), time);
        }
        // Too many to walk from due: the latest ones are found in the shortest window before now that holds them.
        for (Duration window : WINDOWS) {
            latest.clear();
            Instant from = now.minus(window);
            Instant t = from.isBefore(due) ? due : next(schedule, from);
            int steps = 0;
            while (t != null && !t.isAfter(now) && steps++ < MAX_COUNTED) {
                keepLatest(latest, t, keep);
                t = next(schedule, t);
            }
            if (latest.size() >= keep) {
                break;
            }
        }
        if (latest.isEmpty()) {
            latest.add(due); // not reached: more than MAX_COUNTED times before now fill the widest window
        }
        return new Missed(MAX_COUNTED, List.copyOf(latest), next(schedule, now));
    }

    private static void keepLatest(ArrayDeque<Instant> latest, Instant time, int keep) {
        latest.addLast(time);
        if (latest.size() > keep) {
            latest.removeFirst();
        }
    }
}
