package io.docjobs.internal;

import io.docjobs.HandlerOptions;
import io.docjobs.JobConsumer;
import io.docjobs.JobHandler;
import io.docjobs.Schedules;
import io.docjobs.SupervisorInfo;
import io.docjobs.internal.RunningJob.Ending;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The supervisor's machinery, and its lifecycle: the {@link Poller} claims when slots are free,
 * {@link Workers} run handlers, the {@link LeaseKeeper} extends leases and enforces time-outs, and
 * {@link Outcomes} records what became of each job. The engine owns the threads, starts them, and
 * stops them in order: stop claiming, drain, hand back what still runs, stop the keeper last.
 * Internal: use {@link io.docjobs.Supervisor}.
 *
 * <p>Tests step it by hand: {@link #startStepping()} arms it without threads, then
 * {@link #pollOnce()} runs one claim round and {@link #keepOnce()} one heartbeat, with time from
 * the {@link Ticker} and handlers run on the given {@link Executor}.
 *
 * <p>Internal: the one public type of {@code io.docjobs.internal} (with its {@link Settings}), so
 * that {@link io.docjobs.Supervisor} in the API package can drive it; everything else here is
 * package-private. Not exported by the module and not part of the API.
 */
public final class Engine {
    private static final Logger log = LoggerFactory.getLogger(Engine.class);

    /**
     * Everything the engine needs, validated by the supervisor's builder.
     *
     * @param name          the supervisor's name, in thread names and logs
     * @param workerId      written into the leases the engine claims
     * @param workers       worker slots: most handlers running at once
     * @param pollers       poller threads
     * @param maxBatch      most entries one claim round takes
     * @param prefetch      jobs claimed ahead beyond {@code workers}, waiting for a handler slot
     * @param idleMin       the first wait after an empty poll
     * @param idleMax       the cap the idle wait doubles up to
     * @param drainTimeout  how long {@link #stop()} waits for running jobs
     * @param registry      where meters go
     * @param observations  where handler runs are observed
     */
    public record Settings(String name, String workerId, int workers, int pollers, int maxBatch, int prefetch,
            Duration idleMin,
            Duration idleMax, Duration drainTimeout, MeterRegistry registry, ObservationRegistry observations) {
    }

    /**
     * Where the engine writes its registry document (the queue's supervisor registry); one call per
     * interval, off the claim path. May throw: the engine counts the failure and carries on.
     */
    @FunctionalInterface
    public interface Registry {
        /**
         * Writes the document.
         *
         * @param beat what it says now
         */
        void write(Beat beat);
    }

    /**
     * One registry document as the engine knows it; lastSeen and startedAt are the database's time
     * of the write.
     *
     * @param workerId the supervisor's worker id: the document's id
     * @param name     its name
     * @param host     the host it runs on
     * @param version  the docjobs version
     * @param types    the types it handles
     * @param workers  its worker slots
     * @param inFlight the jobs running or having their outcome recorded now
     * @param interval how often it writes
     * @param first    whether this is the first write since start: it sets the start time
     * @param stopped  whether this is the last write, at stop
     * @param counts   totals since start
     */
    public record Beat(String workerId, String name, String host, String version, List<String> types, int workers,
            int inFlight, Duration interval, boolean first, boolean stopped, SupervisorInfo.Counts counts) {
    }

    private final Settings settings;
    private final Ticker ticker;
    private final String queueName;
    /** The database's time, for the scheduler's waits until a schedule's next time. */
    private final Supplier<Instant> databaseNow;
    private final Slots slots;
    private final Wakeups wakeups = new Wakeups();
    /** Signalled on every freed slot, for the drain at shutdown (pollers use {@link #wakeups}). */
    private final Signal slotFreed = new Signal();
    private final Signal keeperSignal = new Signal();
    private final KeeperAlarm keeperAlarm;
    private final ExecutorService ownedPool;
    private final Outcomes outcomes;
    private final Workers workers;
    private final Poller poller;
    private final LeaseKeeper keeper;
    private final List<Thread> pollerThreads = new ArrayList<>();
    private final Thread keeperThread;
    private volatile Scheduler scheduler;
    private volatile Thread schedulerThread;
    private final SupervisorMetrics metrics;
    private final List<String> types;
    private volatile RegistryBeater beater;
    private volatile Thread beaterThread;

    /**
     * An engine on real time with its own worker pool; nothing runs until {@link #start()}.
     *
     * @param handlers the handler of each type, in registration order
     * @param options  the options of each type in {@code handlers}
     */
    public Engine(JobConsumer queue, Map<String, JobHandler> handlers, Map<String, HandlerOptions> options,
            Settings settings) {
        this(queue, registrations(handlers, options), settings, Ticker.SYSTEM, null);
    }

    private static List<Registration> registrations(Map<String, JobHandler> handlers, Map<String, HandlerOptions> options) {
        List<Registration> registrations = new ArrayList<>(handlers.size());
        handlers.forEach((type, handler) -> registrations.add(
                new Registration(type, handler, Objects.requireNonNull(options.get(type), () -> "options of " + type))));
        return registrations;
    }

    /**
     * @param workerPool where handlers run; null for the engine's own pool of at most
     *                   {@code 2 × workers} threads (workers plus as many stuck handlers)
     */
    Engine(JobConsumer queue, Collection<Registration> handlers, Settings settings, Ticker ticker, Executor workerPool) {
        this(queue, handlers, settings, ticker, workerPool, ClaimDepth.measured(settings.prefetch()));
    }

    /** As above, with the claim-ahead depth given: tests fix it to study the jobs waiting for a handler. */
    Engine(JobConsumer queue, Collection<Registration> handlers, Settings settings, Ticker ticker, Executor workerPool,
            ClaimDepth claimDepth) {
        this.settings = settings;
        this.ticker = ticker;
        this.queueName = queue.name();
        this.databaseNow = queue::now;
        this.keeperAlarm = new KeeperAlarm(keeperSignal, ticker);
        Map<String, Registration> registrations = new LinkedHashMap<>();
        handlers.forEach(registration -> registrations.put(registration.type(), registration));
        // Claim slots: the jobs a supervisor holds leases for, running or waiting for a handler slot.
        this.slots = new Slots(settings.workers() + settings.prefetch(), List.copyOf(handlers));
        SupervisorMetrics metrics = new SupervisorMetrics(settings.registry(), queue.name(), registrations.keySet());
        this.metrics = metrics;
        this.types = List.copyOf(registrations.keySet());
        // As many handlers may be stuck past their jobs (their slots reused) as there are workers.
        int stuckAllowance = settings.workers();
        this.ownedPool = workerPool == null ? newWorkerPool(settings.workers() + stuckAllowance) : null;
        this.outcomes = new Outcomes(queue, metrics);
        this.workers = new Workers(workerPool == null ? ownedPool : workerPool, settings.workers(), stuckAllowance, slots, wakeups,
                slotFreed, keeperAlarm, outcomes, metrics, ticker, queue.name(), settings.observations());
        this.poller = new Poller(queue, settings, ticker, registrations, slots, wakeups, workers, outcomes, metrics,
                claimDepth);
        this.keeper = new LeaseKeeper(queue, settings.name(), ticker, workers, outcomes, keeperSignal, keeperAlarm, metrics);
        for (int i = 1; i <= settings.pollers(); i++) {
            pollerThreads.add(daemon(poller::loop, "docjobs-" + settings.name() + "-poller-" + i));
        }
        this.keeperThread = daemon(keeper::loop, "docjobs-" + settings.name() + "-lease-keeper");
    }

    private ExecutorService newWorkerPool(int threads) {
        AtomicInteger workerNumber = new AtomicInteger();
        // Threads are made on demand, bounded: a handler stuck past its time-out keeps its thread
        // while its slot is reused, up to the stuck allowance; beyond that a stuck handler keeps
        // its slot, so the pool never needs more threads than it has.
        // A queue in front of the threads: a job whose slot was freed a moment before its old
        // thread went back to the pool waits for that thread instead of being rejected. Its
        // length is bounded by the slots, and threads end after a minute idle.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), runnable -> daemon(runnable,
                        "docjobs-" + settings.name() + "-worker-" + workerNumber.incrementAndGet()));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static Thread daemon(Runnable body, String name) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }

    /**
     * Fires the queue's schedules from {@link #start()} on, once every {@code tick} while times are
     * due and asleep until the next time otherwise, on a thread of its own, stopped first by
     * {@link #stop()}. Call before {@link #start()}.
     *
     * @param schedules the queue's schedules
     * @param known     the ids of the schedules this supervisor defines: their meters exist from the start
     * @param tick      how often due schedules are looked for while times are due
     */
    public void schedules(Schedules schedules, List<String> known, Duration tick) {
        this.scheduler = new Scheduler(schedules, databaseNow, settings.workerId(), tick, settings.registry(), queueName, known);
        this.schedulerThread = daemon(scheduler::loop, "docjobs-" + settings.name() + "-scheduler");
    }

    /**
     * Writes the registry document once every {@code interval} from {@link #start()} on, on a thread
     * of its own, and once more, marked stopped, at the end of {@link #stop()}. Call before
     * {@link #start()}.
     *
     * @param registry where the document goes
     * @param interval how often
     * @param host     the host name written
     * @param version  the docjobs version written
     */
    public void registry(Registry registry, Duration interval, String host, String version) {
        this.beater = new RegistryBeater(registry, RegistryBeater.template(settings.workerId(), settings.name(), host,
                version, types, settings.workers(), interval), workers::inFlight, metrics);
        this.beaterThread = daemon(beater::loop, "docjobs-" + settings.name() + "-registry");
    }

    /** One registry write, for tests that step the engine; whether it got through. */
    boolean registryOnce() {
        return beater.beatOnce();
    }

    /** {@return the registry writes that failed so far; 0 without a registry} */
    long registryFailures() {
        return beater == null ? 0 : beater.failures();
    }

    /** Starts the pollers and the lease keeper. */
    public void start() {
        long now = ticker.nanos();
        poller.beatAt(now);
        keeper.beatAt(now);
        startStepping();
        keeperThread.start();
        pollerThreads.forEach(Thread::start);
        if (schedulerThread != null) {
            schedulerThread.start();
        }
        if (beaterThread != null) {
            beaterThread.start();
        }
    }

    /** Arms the engine without starting its threads: the caller drives {@link #pollOnce} and {@link #keepOnce}. */
    void startStepping() {
        poller.startClaiming();
    }

    /** Jobs in flight: running, or having their outcome recorded. */
    public int inFlight() {
        return workers.inFlight();
    }

    /**
     * Whether claiming works: false after {@value Poller#UNHEALTHY_AFTER_FAILED_POLLS} failed polls
     * in a row (database down, or every claim failing), true again after the next poll that works.
     */
    public boolean pollsSucceeding() {
        return poller.succeeding();
    }

    /**
     * Whether the engine's own loops are alive: every poller and the lease keeper thread runs and
     * began a round within {@code stall}. No database call: a database outage slows rounds down
     * (each failing call takes up to the operation time-out, times the retries) but does not stop
     * them, so a liveness probe built on this does not restart workers during an outage.
     */
    public boolean loopsAlive(Duration stall) {
        if (!poller.isClaiming() || !keeperThread.isAlive()
                || pollerThreads.stream().anyMatch(thread -> !thread.isAlive())) {
            return false;
        }
        long now = ticker.nanos();
        long limit = Nanos.of(stall);
        return now - poller.lastBeat() <= limit && now - keeper.lastBeat() <= limit;
    }

    /** One claim round; see {@link Poller#pollOnce()}. */
    Poller.Poll pollOnce() {
        return poller.pollOnce();
    }

    /** The poller's wait after {@code poll}; see {@link Poller#pauseAfter}. */
    Poller.Pause pauseAfter(Poller.Poll poll, int idleRounds) {
        return poller.pauseAfter(poll, idleRounds);
    }

    long idleDelayNanos(int idleRounds) {
        return poller.idleDelayNanos(idleRounds);
    }

    /** One heartbeat; see {@link LeaseKeeper#keepOnce()}. */
    long keepOnce() {
        return keeper.keepOnce();
    }

    /**
     * Stops claiming, waits up to the drain time-out for running jobs, then interrupts the rest
     * and hands their leases back at once so other workers can take them without waiting for
     * expiry (counting the attempt: a handler that never finishes is dead-lettered in the end).
     * The lease keeper stops last, so draining jobs keep their leases.
     */
    public void stop() {
        if (scheduler != null) {
            // First: a firing is a handful of quick writes, and its jobs are for whoever runs next.
            scheduler.stop();
            if (schedulerThread.isAlive()) {
                joinQuietly(schedulerThread, Duration.ofSeconds(60));
            }
        }
        poller.stopClaiming();
        // Pollers are woken, not interrupted: an interrupt in the middle of a claim could make the
        // driver drop a reply the server already acted on, stranding the entry until its lease
        // expires. A claim that completes after this point hands its leases straight back.
        for (Thread thread : pollerThreads) {
            if (thread.isAlive()) {
                joinQuietly(thread, Duration.ofSeconds(60));
            }
        }
        // Jobs claimed ahead and not started go back at once, uncounted: other supervisors can run
        // them while this one drains.
        for (RunningJob job : workers.takeWaiting()) {
            abandon(job);
        }
        drain();
        if (workers.inFlight() > 0) {
            log.warn("supervisor {}: {} jobs still running after the drain time-out of {}; interrupting them and"
                    + " handing their leases back", settings.name(), workers.inFlight(), settings.drainTimeout());
            for (RunningJob job : List.copyOf(workers.running())) {
                abandon(job);
            }
        }
        keeper.stop();
        if (keeperThread.isAlive()) {
            keeperThread.interrupt();
            joinQuietly(keeperThread, Duration.ofSeconds(10));
        }
        keeper.close();
        if (ownedPool != null) {
            ownedPool.shutdownNow();
        }
        stopRegistry();
    }

    /** Last: the document keeps saying "alive" while the supervisor drains, then says "stopped" once. */
    private void stopRegistry() {
        if (beater == null) {
            return;
        }
        beater.stop();
        if (beaterThread.isAlive()) {
            // A write under way ends within the database's operation time-out; the last write follows it.
            joinQuietly(beaterThread, Duration.ofSeconds(60));
        }
        beater.stopped();
    }

    /** Waits until no job runs, or the drain time-out has passed. */
    private void drain() {
        // Real time, not the ticker: draining is a real wait for real handler threads.
        long drainNanos = Nanos.of(settings.drainTimeout());
        long startNanos = System.nanoTime();
        while (workers.inFlight() > 0 && System.nanoTime() - startNanos < drainNanos) {
            long generation = slotFreed.generation();
            if (workers.inFlight() == 0) {
                break;
            }
            try {
                slotFreed.awaitChange(generation,
                        Math.min(drainNanos - (System.nanoTime() - startNanos), LeaseKeeper.MAX_WAIT_NANOS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
    }

    /** Ends a job still running after the drain: interrupts its handler and hands its lease back. */
    private void abandon(RunningJob job) {
        if (!job.end(Ending.ABANDONED)) {
            return;
        }
        job.interrupt();
        try {
            outcomes.abandoned(job, settings.drainTimeout());
        } finally {
            workers.releaseSlotOfEnded(job);
        }
    }

    private static void joinQuietly(Thread thread, Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
