package io.docjobs.tools.chaos;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.bson.Document;

/**
 * The network and clock faults of the run, decided on the fault thread like {@link FaultInjector}'s
 * (and by progress, like them): a latency spike, dropped connections, half-open connections, then
 * each again in turn every {@link #REPEAT_EVERY}; one partition of a daemon for longer than the
 * visibility timeout; and the jumps of the jumping clocks. Each fault hits one daemon slot through
 * its {@link FaultyProxy}, only while every daemon is up (a daemon starting behind a faulty network
 * would test its start-up), never while a daemon is paused, and never one under another fault; the
 * slot is spared from kills and the pause while its fault lasts.
 *
 * <p>Before the partition a probe job is enqueued that works until cancelled on its first attempt;
 * the daemon that claims it is cut off, so that a handler runs across the partition and must learn
 * that its lease is gone.
 */
final class NetworkChaos {
    static final double LATENCY_AT = 0.15;
    static final double DROP_AT = 0.25;
    static final double PARTITION_AT = 0.30;
    static final double HALF_OPEN_AT = 0.40;
    /** After the first of each, a latency spike, a drop or a half-open connection in turn this often. */
    static final Duration REPEAT_EVERY = Duration.ofSeconds(10);
    static final Duration SPIKE = Duration.ofSeconds(3);
    static final long SPIKE_MIN_MS = 300;
    static final long SPIKE_MAX_MS = 1_500;
    static final Duration HALF_OPEN_FOR = Duration.ofSeconds(6);
    /** How long the run goes on after the partition healed, at least: the daemon cut off must come back. */
    static final Duration REJOIN_GRACE = Duration.ofSeconds(3);
    /** How long the partition waits for a daemon to claim the probe before it cuts the busiest off. */
    static final Duration PROBE_PATIENCE = Duration.ofSeconds(10);

    /** A jump of the jumping clocks at a share of jobs completed: forward, back past the true time, home. */
    record Jump(double at, Duration offset) {
    }

    static final List<Jump> JUMPS = List.of(new Jump(0.20, Duration.ofSeconds(100)),
            new Jump(0.45, Duration.ofSeconds(-100)), new Jump(0.75, Duration.ZERO));

    private final ChaosSettings settings;
    private final Fleet fleet;
    private final DaemonSlots slots;
    private final Producer producer;
    private final FaultLog faults;
    private final ScheduledExecutorService scheduler;
    private final PrintWriter out;
    private final Function<String, Set<String>> leasedBy;
    private final boolean network;
    private final Instant started = Instant.now();
    /** Faults still on, with what ends them: run at their time, or at the end of the run. */
    private final Map<FaultLog.Network, Runnable> open = new ConcurrentHashMap<>();
    private final List<FaultLog.NetworkFault> firstsDone = new ArrayList<>();
    private Instant nextRepeat = Instant.MAX;
    private int rotation;
    private int jumpsDone;
    private String probe;
    private Instant probingSince;
    private volatile boolean partitioned;
    private volatile Instant healedAt;

    NetworkChaos(ChaosSettings settings, Fleet fleet, DaemonSlots slots, Producer producer, FaultLog faults,
            ScheduledExecutorService scheduler, PrintWriter out, Function<String, Set<String>> leasedBy, boolean network) {
        this.settings = settings;
        this.fleet = fleet;
        this.slots = slots;
        this.producer = producer;
        this.faults = faults;
        this.scheduler = scheduler;
        this.out = out;
        this.leasedBy = leasedBy;
        this.network = network;
    }

    /**
     * How long the probe job's first attempt works unless cancelled: past the longest wait for its
     * claim, the partition, and the heartbeat after the heal, with room to spare.
     */
    Duration probeLinger() {
        return PROBE_PATIENCE.plus(settings.pauseLength()).plus(settings.visibilityTimeout()).plusSeconds(5);
    }

    /**
     * One decision round, on the fault thread.
     *
     * @param completed  the share of all jobs completed so far, 0 to 1
     * @param jobsRemain whether any job is still to be enqueued or in the queue
     */
    void tick(double completed, boolean jobsRemain) {
        if (!jobsRemain) {
            return;
        }
        slots.clocks().ifPresent(clocks -> {
            while (jumpsDone < JUMPS.size() && completed >= JUMPS.get(jumpsDone).at()) {
                Jump jump = JUMPS.get(jumpsDone++);
                Map<String, Long> jumping = new TreeMap<>();
                for (int slot = 1; slot <= settings.daemons(); slot++) {
                    if (ClockFaults.jumps(slot)) {
                        fleet.inSlot(slot).ifPresent(d -> jumping.put(d.name(), d.pid()));
                    }
                }
                clocks.jump(jump.offset(), jumping);
                say("clock of " + jumping.keySet() + " jumps to " + ClockFaults.faketime(jump.offset()) + " from the true time");
            }
        });
        if (!network || !fleet.allReady()) {
            return;
        }
        partition(completed);
        first(FaultLog.NetworkFault.LATENCY, LATENCY_AT, completed);
        first(FaultLog.NetworkFault.DROP, DROP_AT, completed);
        first(FaultLog.NetworkFault.HALF_OPEN, HALF_OPEN_AT, completed);
        if (Instant.now().isAfter(nextRepeat)) {
            List<FaultLog.NetworkFault> turns = List.of(FaultLog.NetworkFault.LATENCY, FaultLog.NetworkFault.DROP,
                    FaultLog.NetworkFault.HALF_OPEN);
            if (inject(turns.get(rotation % turns.size()))) {
                rotation++;
                nextRepeat = Instant.now().plus(REPEAT_EVERY);
            }
        }
    }

    private void first(FaultLog.NetworkFault kind, double at, double completed) {
        if (!firstsDone.contains(kind) && completed >= at && inject(kind)) {
            firstsDone.add(kind);
            if (firstsDone.size() == 3) {
                nextRepeat = Instant.now().plus(REPEAT_EVERY);
            }
        }
    }

    /** Injects one fault of {@code kind} on a daemon holding leases that may take it; false if none may now. */
    private boolean inject(FaultLog.NetworkFault kind) {
        Optional<Integer> target = victim(daemon -> !leasedBy.apply(daemon.name()).isEmpty(), false);
        if (target.isEmpty()) {
            return false;
        }
        int slot = target.get();
        Optional<ChildProcess> current = fleet.inSlot(slot);
        Optional<FaultyProxy> slotProxy = slots.proxy(slot);
        if (current.isEmpty() || slotProxy.isEmpty()) {
            return false; // it died just now: the next tick finds another
        }
        ChildProcess daemon = current.get();
        FaultyProxy proxy = slotProxy.get();
        Set<String> held = leasedBy.apply(daemon.name());
        Instant at = Instant.now();
        switch (kind) {
            case LATENCY -> {
                proxy.latency(SPIKE_MIN_MS, SPIKE_MAX_MS);
                lasting(new FaultLog.Network(kind, slot, daemon.name(), daemon.pid(), at, null, held,
                        SPIKE_MIN_MS + "-" + SPIKE_MAX_MS + " ms per chunk"), SPIKE, proxy::noLatency);
                say("latency spike on " + daemon + " (" + held.size() + " leases): " + SPIKE_MIN_MS + "-" + SPIKE_MAX_MS
                        + " ms per chunk both ways for " + SPIKE.toMillis() + " ms");
            }
            case DROP -> {
                int dropped = proxy.dropAll();
                faults.network(new FaultLog.Network(kind, slot, daemon.name(), daemon.pid(), at, at, held,
                        dropped + " connections closed"));
                say("dropped all " + dropped + " connections of " + daemon + " (" + held.size() + " leases)");
            }
            case HALF_OPEN -> {
                int cut = proxy.halfOpen();
                lasting(new FaultLog.Network(kind, slot, daemon.name(), daemon.pid(), at, null, held,
                        cut + " connections half-open"), HALF_OPEN_FOR, proxy::closeHalfOpen);
                say("half-open: the " + cut + " open connections of " + daemon + " (" + held.size()
                        + " leases) lose every byte for " + HALF_OPEN_FOR.toMillis() + " ms, then close; new ones work");
            }
            case PARTITION -> throw new IllegalArgumentException("the partition goes through partition()");
        }
        return true;
    }

    /** The partition: enqueue the probe, wait for a daemon to claim it, cut that daemon off. */
    private void partition(double completed) {
        if (partitioned || completed < PARTITION_AT) {
            return;
        }
        if (probe == null) {
            producer.enqueueOne(new Document("probe", "partition").append(JobKinds.KIND_KEY, JobKinds.Kind.PROBE.label())
                    .append(ChaosHandler.LINGER_KEY, probeLinger().toMillis()).append(ChaosHandler.LINGER_ATTEMPTS_KEY, 1))
                    .ifPresent(id -> {
                        probe = id;
                        probingSince = Instant.now();
                    });
            return;
        }
        boolean patient = Instant.now().isBefore(probingSince.plus(PROBE_PATIENCE));
        // The probe's daemon is cut off even under another network fault: waiting could lose the probe.
        Optional<Integer> target = victim(daemon -> !patient || leasedBy.apply(daemon.name()).contains(probe), true);
        if (target.isEmpty()) {
            return;
        }
        int slot = target.get();
        Optional<ChildProcess> current = fleet.inSlot(slot);
        Optional<FaultyProxy> slotProxy = slots.proxy(slot);
        if (current.isEmpty() || slotProxy.isEmpty()) {
            return;
        }
        ChildProcess daemon = current.get();
        FaultyProxy proxy = slotProxy.get();
        Instant at = Instant.now();
        proxy.partition();
        partitioned = true;
        Set<String> held = leasedBy.apply(daemon.name());
        Duration length = settings.pauseLength();
        lasting(new FaultLog.Network(FaultLog.NetworkFault.PARTITION, slot, daemon.name(), daemon.pid(), at, null, held,
                held.contains(probe) ? "holding the probe job " + probe : "the probe job was not claimed in time"),
                length, () -> {
                    proxy.heal();
                    healedAt = Instant.now();
                });
        say("partition: " + daemon + " cut off from the database, holding " + held.size() + " leases"
                + (held.contains(probe) ? " (the probe's among them)" : "") + ", for " + length.toMillis()
                + " ms: they expire meanwhile and other daemons take the jobs over");
    }

    /**
     * A slot whose daemon may take a fault now (ready, alive, no fault on unless {@code evenBusy})
     * and passes {@code wanted}; the one holding the most leases. None while a daemon is paused.
     */
    private Optional<Integer> victim(Predicate<ChildProcess> wanted, boolean evenBusy) {
        if (fleet.anyPaused()) {
            return Optional.empty(); // a paused daemon and one under a network fault leave one to claim for all
        }
        Set<Integer> busy = new HashSet<>();
        if (!evenBusy) {
            open.keySet().forEach(n -> busy.add(n.slot()));
        }
        Map<Integer, Integer> leases = new TreeMap<>();
        for (int slot = 1; slot <= settings.daemons(); slot++) {
            int s = slot;
            fleet.inSlot(slot).filter(d -> !busy.contains(s) && d.isReady() && !fleet.isPaused(d) && wanted.test(d))
                    .ifPresent(d -> leases.put(s, leasedBy.apply(d.name()).size()));
        }
        return leases.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey);
    }

    /** Records a fault that lasts, spares its slot from kills, and ends both after {@code length}. */
    private void lasting(FaultLog.Network fault, Duration length, Runnable undo) {
        faults.network(fault);
        fleet.spare(fault.slot(), true);
        Runnable end = () -> {
            if (open.remove(fault) == null) {
                return; // ended already: at its time, or by endAll
            }
            undo.run();
            faults.networkEnded(fault, Instant.now());
            fleet.spare(fault.slot(), false);
            say(fault.kind().label + " of " + fault.daemon() + " over");
        };
        open.put(fault, end);
        scheduler.schedule(end, length.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Whether the run may end as far as the network is concerned: no fault is on, and a healed
     * partition's daemon had {@link #REJOIN_GRACE} to come back (schedules still fire meanwhile).
     */
    boolean settled() {
        Instant healed = healedAt;
        if (partitioned && healed == null) {
            return false; // cut off, or healing right now
        }
        return open.isEmpty() && (healed == null || Instant.now().isAfter(healed.plus(REJOIN_GRACE)));
    }

    /** Ends every fault still on (the run ended before their time): heals partitions, closes half-open links. */
    void endAll() {
        List.copyOf(open.values()).forEach(Runnable::run);
    }

    private void say(String line) {
        out.printf("chaos %6.1fs  %s%n", Duration.between(started, Instant.now()).toMillis() / 1000.0, line);
        out.flush();
    }
}
