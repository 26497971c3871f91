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

    /** The network faults of {@link FaultyProxy}, in the report's words. */
    enum NetworkFault {
        LATENCY("latency spike"), DROP("dropped connections"), HALF_OPEN("half-open connections"),
        PARTITION("partition");

        final String label;

        NetworkFault(String label) {
            this.label = label;
        }
    }

    /**
     * A network fault on the proxy of daemon slot {@code slot}, whose daemon then was {@code daemon}
     * (pid {@code pid}), from {@code from} to {@code to} (null while it lasts), and the jobs that
     * daemon held leases on when it began.
     */
    record Network(NetworkFault kind, int slot, String daemon, long pid, Instant from, Instant to,
            Set<String> leasedJobs, String detail) {
        /** Whether the fault was on while {@code [start, end]}: {@code to} null counts as still on. */
        boolean overlaps(Instant start, Instant end) {
            return !from.isAfter(end) && (to == null || !to.isBefore(start));
        }
    }

    /**
     * A daemon whose wall clock the run moved by {@code offset} at {@code at}: at its start (a skewed
     * clock, {@code jump} false) or while it ran (a jump, as an NTP step or a resumed VM makes).
     */
    record ClockShift(String daemon, long pid, Instant at, Duration offset, boolean jump) {
    }

    /** A process that ended without the driver asking it to. */
    record Exit(String name, long pid, int exitCode, Instant noticedAt) {
    }

    private final List<Kill> kills = new ArrayList<>();
    private final List<Stop> stops = new ArrayList<>();
    private final List<Restart> restarts = new ArrayList<>();
    private final List<Exit> exits = new ArrayList<>();
    private final List<Network> network = new ArrayList<>();
    private final List<ClockShift> clocks = new ArrayList<>();

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

    synchronized void network(Network fault) {
        network.add(fault);
    }

    /** Replaces the open network fault {@code fault} with one that ended at {@code at}. */
    synchronized void networkEnded(Network fault, Instant at) {
        network.replaceAll(n -> n.equals(fault) ? new Network(n.kind(), n.slot(), n.daemon(), n.pid(), n.from(), at,
                n.leasedJobs(), n.detail()) : n);
    }

    synchronized void clock(ClockShift shift) {
        clocks.add(shift);
    }

    synchronized List<Network> network() {
        return List.copyOf(network);
    }

    synchronized List<ClockShift> clocks() {
        return List.copyOf(clocks);
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
