package io.docjobs.internal;

import io.docjobs.JobConsumer;
import io.docjobs.Lease;
import io.docjobs.internal.RunningJob.Ending;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Claims jobs when worker slots are free: each round reserves slots, claims up to that many
 * entries in one call and starts each lease on a worker, then pauses with a jittered back-off
 * that new work or a freed slot can cut short. One instance serves all of a supervisor's poller
 * threads ({@link #loop()} on each); its counters are shared by them.
 */
final class Poller {
    private static final Logger log = LoggerFactory.getLogger(Poller.class);
    static final long ERROR_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int MAX_IDLE_ROUNDS = 30;
    /** Consecutive failed polls after which the supervisor reports itself unhealthy. */
    static final int UNHEALTHY_AFTER_FAILED_POLLS = 3;

    /** What one poll round did: slots reserved, leases claimed and started; or that it failed. */
    record Poll(int reserved, int claimed, int started, boolean failed, boolean limitedByType) {
        static final Poll NO_ROOM = new Poll(0, 0, 0, false, false);

        boolean noRoom() {
            return reserved == 0 && !failed;
        }
    }

    /**
     * How a poller waits after a round: at most {@code nanos}, woken early by new work and/or by
     * a freed slot; {@code idleRounds} is the back-off state for the next round.
     */
    record Pause(long nanos, boolean onWork, boolean onCapacity, int idleRounds) {
    }

    private final JobConsumer queue;
    private final Engine.Settings settings;
    private final Ticker ticker;
    private final Map<String, Registration> registrations;
    private final Slots slots;
    private final Wakeups wakeups;
    private final Workers workers;
    private final Outcomes outcomes;
    private final SupervisorMetrics metrics;
    private final ClaimDepth claimDepth;
    private final OutageLog claimOutage;
    private final AtomicInteger failedPollsInARow = new AtomicInteger();
    /** When a poller last began a round (ticker time): liveness without the database. */
    private volatile long lastBeat;
    private volatile boolean claiming;
    private Runnable stopListening = () -> { };

    Poller(JobConsumer queue, Engine.Settings settings, Ticker ticker, Map<String, Registration> registrations,
            Slots slots, Wakeups wakeups, Workers workers, Outcomes outcomes, SupervisorMetrics metrics,
            ClaimDepth claimDepth) {
        this.queue = queue;
        this.settings = settings;
        this.ticker = ticker;
        this.registrations = registrations;
        this.slots = slots;
        this.wakeups = wakeups;
        this.workers = workers;
        this.outcomes = outcomes;
        this.metrics = metrics;
        this.claimDepth = claimDepth;
        this.claimOutage = new OutageLog(log, "claiming jobs from " + queue.name());
    }

    /** Allows claiming, and has enqueues of a handled type through the same queue wake idle pollers at once. */
    void startClaiming() {
        claiming = true;
        stopListening = queue.onEnqueue(types -> {
            if (types.isEmpty()) { // "something may have been missed"
                wakeups.work();
                return;
            }
            for (String type : types) {
                if (registrations.containsKey(type)) {
                    wakeups.work();
                    return;
                }
            }
        });
    }

    /**
     * Stops claiming and wakes every waiting poller so its loop ends; a claim under way completes
     * and hands its leases straight back.
     */
    void stopClaiming() {
        claiming = false;
        stopListening.run();
        wakeups.close();
    }

    boolean isClaiming() {
        return claiming;
    }

    /** Whether fewer than {@value #UNHEALTHY_AFTER_FAILED_POLLS} polls in a row failed. */
    boolean succeeding() {
        return failedPollsInARow.get() < UNHEALTHY_AFTER_FAILED_POLLS;
    }

    long lastBeat() {
        return lastBeat;
    }

    void beatAt(long nanos) {
        lastBeat = nanos;
    }

    /** The body of each poller thread: rounds until claiming stops; never dies of an error. */
    void loop() {
        int idleRounds = 0;
        while (claiming) {
            Wakeups.Seen seen = wakeups.seen();
            lastBeat = ticker.nanos();
            try {
                Poll poll = pollOnce();
                Pause pause = pauseAfter(poll, idleRounds);
                idleRounds = pause.idleRounds();
                if (pause.nanos() > 0) {
                    wakeups.await(seen, pause.onWork(), pause.onCapacity(), pause.nanos());
                }
            } catch (InterruptedException e) {
                if (!claiming) {
                    return;
                }
            } catch (RuntimeException | Error e) {
                // A poller must never die: log with context and go on after a pause.
                log.error("poller of supervisor {} hit an unexpected error; continuing", settings.name(), e);
                LockSupport.parkNanos(ERROR_BACKOFF_NANOS);
            }
        }
    }

    /** The wait after {@code poll}: only what could change the next round's result may cut it short. */
    Pause pauseAfter(Poll poll, int idleRounds) {
        if (poll.noRoom()) {
            // Only a freed slot can change this; frees always wake, the timer is a safety net.
            return new Pause(Nanos.of(settings.idleMax()), false, true, idleRounds);
        }
        if (poll.failed() || poll.started() < poll.claimed()) {
            // A failing database, or leases that could not start (no thread): back off on the
            // timer alone, or the next round fails again at once, or claims the same entries back.
            int rounds = Math.min(idleRounds + 1, MAX_IDLE_ROUNDS);
            return new Pause(Math.max(idleDelayNanos(rounds), ERROR_BACKOFF_NANOS), false, false, rounds);
        }
        if (poll.claimed() == poll.reserved()) {
            return new Pause(0, false, false, 0); // more may be waiting: poll again at once
        }
        // The queue had no more for these slots: wait for new work, or for a freed slot of a type
        // its limit held back.
        int rounds = poll.claimed() > 0 ? 0 : Math.min(idleRounds + 1, MAX_IDLE_ROUNDS);
        return new Pause(idleDelayNanos(rounds), true, poll.limitedByType(), rounds);
    }

    /**
     * Idle back-off: doubling from the minimum to the cap, with jitter so a fleet does not poll in
     * step. Saturating: any minimum, cap and round count give a delay between them.
     */
    long idleDelayNanos(int idleRounds) {
        long min = Nanos.of(settings.idleMin());
        long max = Math.max(min, Nanos.of(settings.idleMax()));
        long delay = min;
        for (int round = 0; round < idleRounds && delay < max; round++) {
            delay = delay > max / 2 ? max : delay * 2;
        }
        return delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
    }

    /**
     * One claim round: reserve free slots, claim up to that many entries in one call, start each
     * lease on a worker or hand it back. Every lease the queue returned is started or given back,
     * and every reserved slot is used by a started job or returned, whatever fails.
     */
    Poll pollOnce() {
        int depth = claimDepth.jobs(ticker.nanos(), slots.freedInAll());
        if (workers.waiting() > depth / 2) {
            // Jobs claimed ahead still feed the workers: refill once half of them have started, so
            // claims come in batches of at least half the depth rather than one per freed slot.
            return Poll.NO_ROOM;
        }
        int held = slots.held();
        int wanted = Math.min(settings.maxBatch(), settings.workers() + depth - held);
        Slots.Reservation reservation = slots.reserve(wanted);
        if (reservation.isEmpty()) {
            return Poll.NO_ROOM;
        }
        long began = ticker.nanos();
        List<Lease> leases;
        try {
            leases = claim(reservation);
        } catch (RuntimeException e) {
            reservation.releaseUnused();
            failedPollsInARow.incrementAndGet();
            metrics.pollFailed();
            metrics.databaseError("claim");
            claimOutage.failed(e);
            return new Poll(reservation.total, 0, 0, true, false);
        }
        failedPollsInARow.set(0);
        claimOutage.succeeded();
        claimDepth.claimed(began, ticker.nanos(), slots.freedInAll(), leases.size() == reservation.total);
        int started;
        try {
            Instant now = leases.isEmpty() ? null : queue.now();
            List<RunningJob> jobs = new ArrayList<>(leases.size());
            for (Lease lease : leases) {
                RunningJob job = jobOrGiveBack(lease, reservation, now);
                if (job != null) {
                    jobs.add(job);
                }
            }
            started = workers.executeAll(jobs);
        } finally {
            reservation.releaseUnused();
        }
        metrics.polled(leases.size());
        return new Poll(reservation.total, leases.size(), started, false, heldBackByLimits(reservation, leases));
    }

    /**
     * Whether a type limit may have kept this round from claiming more: a handled type had no
     * room at all, or a limited type got as many as its room. Only then can a freed slot help a
     * poller that found the queue otherwise drained.
     */
    private boolean heldBackByLimits(Slots.Reservation reservation, List<Lease> leases) {
        if (reservation.room().size() < registrations.size()) {
            return true;
        }
        Map<String, Integer> claimed = new HashMap<>();
        leases.forEach(lease -> claimed.merge(lease.type(), 1, Integer::sum));
        for (Map.Entry<String, Integer> room : reservation.room().entrySet()) {
            if (room.getValue() < reservation.total && claimed.getOrDefault(room.getKey(), 0) >= room.getValue()) {
                return true;
            }
        }
        return false;
    }

    private List<Lease> claim(Slots.Reservation reservation) {
        if (reservation.total == 1) {
            return queue.claim(reservation.room().keySet(), settings.workerId()).map(List::of).orElse(List.of());
        }
        return queue.claimBatch(reservation.room(), settings.workerId(), reservation.total);
    }

    /**
     * The job of {@code lease} in one of the round's slots, to start; or null when it was handed
     * back instead (not asked for, claimed during shutdown, or no job could be made). Never throws.
     */
    private RunningJob jobOrGiveBack(Lease lease, Slots.Reservation reservation, Instant now) {
        String type = lease.type();
        Registration registration = registrations.get(type);
        if (registration == null || !reservation.take(type)) {
            log.error("the queue returned {} beyond what was asked for (type \"{}\"); handing it back unstarted",
                    lease, type);
            outcomes.giveBackQuietly(lease, "it was not asked for");
            return null;
        }
        RunningJob job = new RunningJob(queue, registration, lease, ticker);
        try {
            if (!claiming) {
                job.end(Ending.ABANDONED);
                job.releaseSlot();
                outcomes.giveBackQuietly(lease, "it was claimed during shutdown");
                workers.freeSlot(type);
                return null;
            }
            metrics.claimed(type, lease.visibleSince() == null || now == null ? null
                    : Duration.between(lease.visibleSince(), now));
            return job;
        } catch (RuntimeException | Error e) { // a failing meter registry must not strand the lease
            workers.couldNotStart(job, e);
            return null;
        }
    }
}
