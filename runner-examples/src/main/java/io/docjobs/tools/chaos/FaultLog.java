package io.docjobs.tools.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What the chaos driver did to its processes, and when: the evidence the analysis matches extra
 * executions against. Every time is taken just <em>before</em> the signal is sent, so a delay
 * measured from it is never shorter than the real one. Thread-safe.
 */
final class FaultLog {

    /**
     * A daemon killed with {@code kill -9}, and the jobs it held leases on just before (its jobs
     * whose handler had not even started are in no execution record; this is how their
     * redelivery is still measured).
     */
    record Kill(String daemon, long pid, Instant at, Set<String> leasedJobs) {
    }

    /**
     * A daemon paused with {@code SIGSTOP} and resumed with {@code SIGCONT} ({@code resumedAt} null
     * while paused), and the jobs it held leases on once it was frozen.
     */
    record Stop(String daemon, long pid, Instant stoppedAt, Instant resumedAt, Set<String> leasedJobs) {
    }

    /**
     * A database restart: {@code down} when SIGTERM was sent, {@code up} when the new process said
     * it was ready, and the old process's exit code (0 = closed cleanly).
     */
    record Restart(Instant down, Instant up, int exitCode) {
        /** How long the database was away within {@code [from, to]}. */
        Duration overlap(Instant from, Instant to) {
            Instant start = down.isAfter(from) ? down : from;
            Instant stop = up.isBefore(to) ? up : to;
            return stop.isAfter(start) ? Duration.between(start, stop) : Duration.ZERO;
        }
    }

    /** A process that ended without the driver asking it to. */
    record Exit(String name, long pid, int exitCode, Instant noticedAt) {
    }

    private final List<Kill> kills = new ArrayList<>();
    private final List<Stop> stops = new ArrayList<>();
    private final List<Restart> restarts = new ArrayList<>();
    private final List<Exit> exits = new ArrayList<>();

    synchronized void kill(Kill kill) {
        kills.add(kill);
    }

    synchronized void stop(Stop stop) {
        stops.add(stop);
    }

    /** Replaces the open stop of {@code pid} with one resumed at {@code at}. */
    synchronized void resumed(long pid, Instant at) {
        stops.replaceAll(stop -> stop.pid() == pid && stop.resumedAt() == null
                ? new Stop(stop.daemon(), stop.pid(), stop.stoppedAt(), at, stop.leasedJobs()) : stop);
    }

    synchronized void restart(Restart restart) {
        restarts.add(restart);
    }

    synchronized void exit(Exit exit) {
        exits.add(exit);
    }

    synchronized List<Kill> kills() {
        return List.copyOf(kills);
    }

    synchronized List<Stop> stops() {
        return List.copyOf(stops);
    }

    synchronized List<Restart> restarts() {
        return List.copyOf(restarts);
    }

    synchronized List<Exit> exits() {
        return List.copyOf(exits);
    }

    /** How long the database was away within {@code [from, to]}, over all restarts. */
    synchronized Duration databaseDowntime(Instant from, Instant to) {
        return restarts.stream().map(restart -> restart.overlap(from, to)).reduce(Duration.ZERO, Duration::plus);
    }
}
