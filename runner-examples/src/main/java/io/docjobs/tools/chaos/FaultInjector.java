package io.docjobs.tools.chaos;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, on every tick of its single scheduler thread, which fault to inject next: restart the
 * database once, kill -9 a daemon (from {@link ChaosSettings#FIRST_KILL_AT}, then every
 * {@code killEvery}), pause one holding leases once with SIGSTOP. Faults run one at a time on that
 * thread, and only while jobs remain.
 */
final class FaultInjector {
    private static final Logger log = LoggerFactory.getLogger(FaultInjector.class);

    private final ChaosSettings settings;
    private final Fleet fleet;
    private final DatabaseProcess database;
    private final Producer producer;
    private final FaultLog faults;
    private final ScheduledExecutorService scheduler;
    private final PrintWriter out;
    private final Function<String, Set<String>> leasedBy;
    private final Instant started = Instant.now();
    private Instant nextKill = Instant.MAX;
    private boolean paused;
    private boolean restarted;

    FaultInjector(ChaosSettings settings, Fleet fleet, DatabaseProcess database, Producer producer, FaultLog faults,
            ScheduledExecutorService scheduler, PrintWriter out, Function<String, Set<String>> leasedBy) {
        this.settings = settings;
        this.fleet = fleet;
        this.database = database;
        this.producer = producer;
        this.faults = faults;
        this.scheduler = scheduler;
        this.out = out;
        this.leasedBy = leasedBy;
    }

    /**
     * One decision round. The database restart comes first (at {@link ChaosSettings#RESTART_AT}),
     * while every daemon is up: a daemon still starting when the database goes away may fail its
     * start-up, which would test the start-up rather than the queue; and with kills every few
     * seconds there is nearly always a replacement starting. Kills and the pause follow.
     *
     * @param completed the share of all jobs completed so far, 0 to 1
     * @param jobsRemain whether any job is still to be enqueued or in the queue
     */
    void tick(double completed, boolean jobsRemain) throws InterruptedException {
        ChildProcess db = database.process();
        if (!db.isAlive()) {
            // Restarts happen on this thread, so a dead database here was not our doing.
            faults.exit(new FaultLog.Exit(db.name(), db.pid(), db.exitCode(), Instant.now()));
            throw new IllegalStateException("the database process ended on its own with exit code " + db.exitCode()
                    + "; see " + db.log());
        }
        fleet.replaceUnexpectedExits();
        if (!jobsRemain) {
            return;
        }
        if (settings.restartDatabase() && !restarted) {
            if (completed >= ChaosSettings.RESTART_AT && fleet.allReady()) {
                restarted = true;
                restartDatabase();
            }
            return;
        }
        int kills = faults.kills().size();
        boolean killDue = kills == 0 ? completed >= ChaosSettings.FIRST_KILL_AT : Instant.now().isAfter(nextKill);
        if (kills < settings.maxKills() && killDue) {
            // No victim (the others are still starting): try again on the next tick.
            fleet.killOneAndReplace(leasedBy).ifPresent(kill -> {
                nextKill = Instant.now().plus(settings.killEvery());
                say("kill -9 " + kill.daemon() + " (pid " + kill.pid() + ") holding " + kill.leasedJobs().size()
                        + " leases; starting a replacement");
            });
        }
        if (settings.pauseDaemon() && !paused && completed >= ChaosSettings.PAUSE_AT) {
            fleet.pauseOneHoldingLeases(leasedBy).ifPresent(stop -> {
                paused = true;
                Duration length = settings.pauseLength();
                say("SIGSTOP " + stop.daemon() + " (pid " + stop.pid() + ") holding " + stop.leasedJobs().size() + " leases, for "
                        + length.toMillis() + " ms: they expire meanwhile and other daemons take the jobs over");
                scheduler.schedule(this::resume, length.toMillis(), TimeUnit.MILLISECONDS);
            });
        }
    }

    /**
     * Restarts the database while the producer holds back (a batch sent into the restart would end
     * with ids the driver never learns). The daemons are left alone: they must ride it out.
     */
    private void restartDatabase() throws InterruptedException {
        say("restarting the database (SIGTERM, then start again on the same data file)");
        producer.pausedDuring(() -> {
            FaultLog.Restart restart = database.restart();
            faults.restart(restart);
            say("database back after " + Duration.between(restart.down(), restart.up()).toMillis()
                    + " ms; the old process exited with " + restart.exitCode());
        });
    }

    private void resume() {
        try {
            fleet.resumeAll();
            say("SIGCONT: the paused daemon resumes (its unfinished jobs now belong to others)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("could not resume the paused daemon", e);
        }
    }

    private void say(String line) {
        out.printf("chaos %6.1fs  %s%n", Duration.between(started, Instant.now()).toMillis() / 1000.0, line);
        out.flush();
    }
}
