package io.docjobs.tools.chaos;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.Set;
import java.util.function.Function;

/**
 * The daemons of the chaos run: {@code docjobs run} processes on one configuration, each with its
 * own supervisor name ({@code chaos-1}, {@code chaos-2}, ...; a replacement gets the next number).
 * Kills, pauses and resumes go through here and into the {@link FaultLog}. Each daemon runs in a
 * slot (1 to the number of daemons); a replacement takes its predecessor's slot, and with it the
 * slot's network proxy and clock ({@link SlotSetup}). Thread-safe.
 */
final class Fleet {
    /** The line {@code docjobs run} logs once its supervisor runs. */
    private static final String READY_MARKER = "docjobs daemon running";
    private static final Duration READY_PATIENCE = Duration.ofSeconds(90);
    private static final Duration DRAIN_PATIENCE = Duration.ofSeconds(30);

    private final Launcher launcher;
    private final Path config;
    private final Map<String, String> environment;
    private final FaultLog faults;
    private final Random random;
    private final List<ChildProcess> daemons = new ArrayList<>();
    private final List<ChildProcess> paused = new ArrayList<>();
    private final Map<ChildProcess, Integer> slots = new HashMap<>();
    /** Slots under network faults, with how many: no kill there, its replacement could not even start. */
    private final Map<Integer, Integer> spared = new HashMap<>();
    private final SlotSetup setup;
    private int started;

    /** What a daemon slot adds to a daemon's environment, and hears of each daemon started in it. */
    interface SlotSetup {
        /** No proxies, no clock faults. */
        SlotSetup NONE = new SlotSetup() {
            @Override
            public Map<String, String> environment(int slot) {
                return Map.of();
            }

            @Override
            public void started(int slot, String daemon, long pid) {
            }
        };

        Map<String, String> environment(int slot);

        void started(int slot, String daemon, long pid);
    }

    Fleet(Launcher launcher, Path config, Map<String, String> environment, FaultLog faults, Random random) {
        this(launcher, config, environment, SlotSetup.NONE, faults, random);
    }

    Fleet(Launcher launcher, Path config, Map<String, String> environment, SlotSetup setup, FaultLog faults,
            Random random) {
        this.setup = setup;
        this.launcher = launcher;
        this.config = config;
        this.environment = environment;
        this.faults = faults;
        this.random = random;
    }

    /** Starts {@code count} daemons and waits until all run. */
    void start(int count) throws InterruptedException {
        List<ChildProcess> fresh = new ArrayList<>();
        for (int slot = 1; slot <= count; slot++) {
            fresh.add(startOne(slot));
        }
        for (ChildProcess daemon : fresh) {
            daemon.awaitReady(READY_PATIENCE);
        }
    }

    private synchronized ChildProcess startOne(int slot) {
        String name = "chaos-" + ++started;
        Map<String, String> env = new HashMap<>(environment);
        env.putAll(setup.environment(slot));
        env.put("DOCJOBS_SUPERVISOR_NAME", name);
        ChildProcess daemon = launcher.start(name, env, READY_MARKER, "run", "--config", config.toString());
        daemons.add(daemon);
        slots.put(daemon, slot);
        setup.started(slot, name, daemon.pid());
        return daemon;
    }

    /** The daemon running in {@code slot} now (it may still be starting), if any. */
    synchronized Optional<ChildProcess> inSlot(int slot) {
        return daemons.stream().filter(d -> slots.get(d) == slot && d.isAlive()).reduce((first, second) -> second);
    }

    /** The slot of the daemon named {@code name}, or 0 if there is none. */
    synchronized int slotOf(String name) {
        return slots.entrySet().stream().filter(e -> e.getKey().name().equals(name)).mapToInt(Map.Entry::getValue)
                .findFirst().orElse(0);
    }

    /** Whether a daemon is paused (SIGSTOP): no network fault starts then (see {@link #pauseOneHoldingLeases}). */
    synchronized boolean anyPaused() {
        return !paused.isEmpty();
    }

    /** Whether {@code daemon} is paused (SIGSTOP): a network fault on it would test nothing more. */
    synchronized boolean isPaused(ChildProcess daemon) {
        return paused.contains(daemon);
    }

    /**
     * Kills a random running daemon with {@code kill -9} and starts a replacement (without waiting
     * for it). The victim is drawn from the daemons holding leases, if any does: a kill that finds
     * nothing in flight tests nothing. Paused daemons are spared: they are the stale-worker
     * experiment.
     *
     * <p>Only a whole fleet is shot at: while the previous victim's replacement is still starting,
     * or when just one daemon runs, nothing is killed. On two cores a JVM start-up takes seconds of
     * CPU; killing faster than replacements start leaves the queue with no daemon, or one cold
     * daemon starved by start-ups, and redelivery would wait for JVM start-ups rather than for a
     * lease (the redelivery limit assumes a running poller to claim).
     *
     * @param leasedBy the jobs the daemon of a given supervisor name holds leases on now
     * @return the kill, or empty if the fleet was not whole (try again later)
     */
    Optional<FaultLog.Kill> killOneAndReplace(Function<String, Set<String>> leasedBy) throws InterruptedException {
        List<ChildProcess> candidates = candidates();
        if (candidates.size() < 2 || !allReady()) {
            return Optional.empty();
        }
        List<ChildProcess> busy = candidates.stream().filter(d -> !leasedBy.apply(d.name()).isEmpty()).toList();
        List<ChildProcess> pool = busy.isEmpty() ? candidates : busy;
        ChildProcess victim = pool.get(random.nextInt(pool.size()));
        synchronized (this) {
            daemons.remove(victim);
        }
        Set<String> leased = leasedBy.apply(victim.name());
        FaultLog.Kill kill = new FaultLog.Kill(victim.name(), victim.pid(), Instant.now(), leased);
        faults.kill(kill);
        victim.kill();
        startOne(slotOf(victim.name()));
        return Optional.of(kill);
    }

    /**
     * Pauses the running daemon that holds the most leases with {@code SIGSTOP}, and keeps it paused
     * only if it still holds some once frozen (its jobs may all have finished in between; then it is
     * resumed at once, a few milliseconds later, and nothing is logged).
     *
     * <p>Not while a network fault is on (empty then; try again later): with one daemon cut off or
     * its connections half-open and another paused, the last one is left to claim every expired
     * lease, and with the long jobs of the other two in its slots it has none free, so redelivery
     * would wait for a slot rather than for a lease (the redelivery limit assumes a free poller).
     *
     * @return the paused daemon's stop, or empty if no daemon held leases or a network fault is on
     */
    Optional<FaultLog.Stop> pauseOneHoldingLeases(Function<String, Set<String>> leasedBy) throws InterruptedException {
        synchronized (this) {
            if (!spared.isEmpty()) {
                return Optional.empty();
            }
        }
        Optional<ChildProcess> busiest = candidates().stream()
                .max(Comparator.comparingInt(d -> leasedBy.apply(d.name()).size()));
        if (busiest.isEmpty()) {
            return Optional.empty();
        }
        ChildProcess victim = busiest.get();
        Instant at = Instant.now();
        victim.signal("STOP");
        Set<String> held = leasedBy.apply(victim.name());
        if (held.isEmpty()) {
            victim.signal("CONT");
            return Optional.empty();
        }
        synchronized (this) {
            paused.add(victim);
        }
        FaultLog.Stop stop = new FaultLog.Stop(victim.name(), victim.pid(), at, null, held);
        faults.stop(stop);
        return Optional.of(stop);
    }

    /** Daemons that may be killed or paused: started up, alive, not paused, no network fault on. */
    private synchronized List<ChildProcess> candidates() {
        return daemons.stream().filter(d -> d.isReady() && d.isAlive() && !paused.contains(d)
                && !spared.containsKey(slots.get(d))).toList();
    }

    /**
     * Spares {@code slot} from kills and the pause while a network fault is on there ({@code true}
     * when one begins, {@code false} when it ends; spared while any is on).
     */
    synchronized void spare(int slot, boolean spare) {
        spared.compute(slot, (key, count) -> {
            int next = (count == null ? 0 : count) + (spare ? 1 : -1);
            return next <= 0 ? null : next;
        });
    }

    /** Resumes every paused daemon with {@code SIGCONT}; returns how many were paused. */
    int resumeAll() throws InterruptedException {
        List<ChildProcess> resuming;
        synchronized (this) {
            resuming = List.copyOf(paused);
            paused.clear();
        }
        for (ChildProcess daemon : resuming) {
            if (daemon.isAlive()) {
                daemon.signal("CONT");
            }
            faults.resumed(daemon.pid(), Instant.now());
        }
        return resuming.size();
    }

    /** Whether every daemon has started up: a database restart must not catch one half-connected. */
    synchronized boolean allReady() {
        return daemons.stream().allMatch(ChildProcess::isReady);
    }

    synchronized int running() {
        return (int) daemons.stream().filter(ChildProcess::isAlive).count();
    }

    /**
     * Notices daemons that ended without being killed (they must not: a database restart or a lost
     * lease is no reason to exit), logs them as unexpected exits and starts replacements.
     */
    void replaceUnexpectedExits() {
        List<ChildProcess> dead;
        synchronized (this) {
            dead = daemons.stream().filter(d -> !d.isAlive()).toList();
            daemons.removeAll(dead);
            paused.removeAll(dead);
        }
        for (ChildProcess daemon : dead) {
            faults.exit(new FaultLog.Exit(daemon.name(), daemon.pid(), daemon.exitCode(), Instant.now()));
            startOne(slotOf(daemon.name()));
        }
    }

    /**
     * Stops every daemon with SIGTERM (they drain and exit 0) and waits for them.
     *
     * @return the daemons that did not exit 0, with their exit codes
     */
    Map<String, Integer> stopAll() throws InterruptedException {
        List<ChildProcess> stopping;
        synchronized (this) {
            stopping = List.copyOf(daemons);
        }
        for (ChildProcess daemon : stopping) {
            // A JVM still starting has no SIGTERM handler yet and would die with 143 rather than drain.
            try {
                daemon.awaitReady(READY_PATIENCE);
            } catch (IllegalStateException e) {
                // Ended or never ready: its exit code below tells.
            }
        }
        stopping.forEach(ChildProcess::requestStop);
        Map<String, Integer> failed = new TreeMap<>();
        for (ChildProcess daemon : stopping) {
            int code = daemon.awaitExit(DRAIN_PATIENCE);
            if (code != 0) {
                failed.put(daemon.toString(), code);
            }
        }
        synchronized (this) {
            daemons.removeAll(stopping);
        }
        return failed;
    }

    /** For the final clean-up: kills whatever still runs, without waiting. */
    synchronized void destroyAll() {
        daemons.forEach(ChildProcess::destroyForcibly);
    }
}
