package io.docjobs;

import io.docjobs.internal.Engine;
import io.docjobs.mongo.MongoQueues;
import io.docjobs.metrics.QueueMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

// Over 300 lines, and all of it the supervisor's own: the lifecycle, the read-outs operators use,
// and a builder that registers handlers and checks them against the configuration. Its settings
// delegate to SupervisorConfig.Builder, which holds every default and range; what makes the file
// long is the Javadoc each public member carries.
/**
 * Runs {@link JobHandler}s for jobs claimed from a {@link JobConsumer} (usually a {@link JobQueue}): pollers claim
 * entries of the
 * registered types only when a worker slot is free, worker threads run the handlers, and one lease
 * keeper extends the leases of running jobs long before they expire (in one round trip for all of
 * them) and enforces per-job time-outs.
 *
 * <p>Outcomes: a handler that returns completes the job ({@code done}); one that throws is released
 * for a retry after its backoff, or dead-lettered when its attempts are used up or the failure is
 * non-retryable. A supervisor that dies simply stops extending its leases: they expire and other
 * supervisors take the jobs over (at-least-once).
 *
 * <p>Lifecycle: {@link State#NEW} → {@link #start()} → {@link State#RUNNING} → {@link #close()} →
 * {@link State#TERMINATED}. {@code close()} stops claiming, waits up to the drain time-out for
 * running jobs, then interrupts the rest and hands their leases back at once. Thread-safe;
 * several supervisors in one JVM do not interfere.
 */
public final class Supervisor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Supervisor.class);

    /** Where a supervisor is in its life; it moves forward only. */
    public enum State {
        /** Built, not started. */
        NEW,
        /** In {@link #start()}. */
        STARTING,
        /** Claiming and running jobs. */
        RUNNING,
        /** In {@link #close()}: no new claims, draining. */
        STOPPING,
        /** Closed; nothing runs. */
        TERMINATED,
        /** {@link #start()} threw; final, like {@link #TERMINATED}. */
        FAILED
    }

    /**
     * How long a poller or the lease keeper may go without starting a round, beyond the idle
     * back-off cap, before {@link #isLive()} is false: longer than any database call with its
     * retries can block a round.
     */
    public static final Duration LIVENESS_STALL = Duration.ofMinutes(5);

    private final Engine engine;
    private final SupervisorConfig config;
    private final Engine.Settings settings;
    private final JobConsumer queue;
    private final List<String> types;
    private final QueueMetrics queueMetrics;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final List<Schedule> schedules;
    /** The queue's schedules when this supervisor fires them, else null. */
    private final @Nullable Schedules scheduleStore;
    private final Duration schedulerTick;
    /** Where this supervisor's registry document goes, or null when it keeps none. */
    private final Engine.@Nullable Registry registry;

    private Supervisor(Builder builder, SupervisorConfig config, Engine.Settings settings) {
        this.queue = builder.queue;
        this.config = config;
        this.settings = settings;
        this.types = List.copyOf(builder.handlers.keySet());
        this.engine = new Engine(queue, builder.handlers, builder.options, settings);
        this.schedules = List.copyOf(builder.schedules.values());
        this.scheduleStore = (builder.scheduler || !schedules.isEmpty()) && queue instanceof JobQueue jobQueue
                ? jobQueue.schedules() : null;
        this.schedulerTick = builder.schedulerTick;
        // Depth gauges read the queue as an operator does; a bare consumer cannot, and gets none.
        this.queueMetrics = config.depthRefresh().isZero() || !(queue instanceof JobAdmin admin) ? null
                : new QueueMetrics(admin, config.depthRefresh());
        // Only a queue of docjobs' own keeps a registry; a bare consumer gets none.
        this.registry = config.registryInterval().isZero() ? null : MongoQueues.registry(queue);
    }

    /**
     * Starts a builder for a supervisor that claims from {@code queue}: the consumer side is all it
     * needs. Pass a {@link JobQueue} (which is also a {@link JobAdmin}) to get the queue-depth gauges
     * of {@link Builder#depthRefresh}.
     *
     * @param queue where jobs are claimed from; not null
     * @return a builder with the defaults of {@link SupervisorConfig}
     */
    public static Builder builder(JobConsumer queue) {
        return new Builder(queue);
    }

    /**
     * Starts the pollers, workers and lease keeper, and binds the meters.
     *
     * @return this supervisor, running
     * @throws IllegalStateException if already started
     */
    public Supervisor start() {
        if (!state.compareAndSet(State.NEW, State.STARTING)) {
            throw new IllegalStateException("supervisor " + settings.name() + " was already started (state " + state.get() + ")");
        }
        try {
            if (queueMetrics != null) {
                queueMetrics.bindTo(settings.registry());
            }
            if (scheduleStore != null) {
                schedules.forEach(scheduleStore::define);
                engine.schedules(scheduleStore, schedules.stream().map(Schedule::id).toList(), schedulerTick);
            }
            if (registry != null) {
                engine.registry(registry, config.registryInterval(), host(), version());
            }
            engine.start();
            state.set(State.RUNNING);
            log.info("supervisor {} running on {}: types {}, {} workers, {} pollers, batch {}, idle back-off {}..{},"
                    + " drain {}, worker id {}", settings.name(), queue.name(), types, settings.workers(),
                    settings.pollers(), settings.maxBatch(), settings.idleMin(), settings.idleMax(),
                    settings.drainTimeout(), settings.workerId());
            if (scheduleStore != null) {
                log.info("supervisor {} fires the schedules of {} every {}; defined here: {}", settings.name(),
                        queue.name(), schedulerTick, schedules.stream().map(s -> s.id() + " (" + s.timing() + ")").toList());
            }
            return this;
        } catch (RuntimeException | Error e) {
            state.set(State.FAILED);
            throw e;
        }
    }

    /** Drains and stops; idempotent. Blocks up to about the drain time-out. */
    @Override
    public void close() {
        State previous = state.getAndUpdate(current -> current == State.RUNNING || current == State.STARTING
                ? State.STOPPING : current);
        if (previous == State.NEW) {
            state.set(State.TERMINATED);
            return;
        }
        if (previous != State.RUNNING && previous != State.STARTING) {
            return;
        }
        log.info("supervisor {} stopping: no new claims, draining {} running jobs for up to {}", settings.name(),
                engine.inFlight(), settings.drainTimeout());
        try {
            engine.stop();
        } finally {
            if (queueMetrics != null) {
                queueMetrics.close();
            }
            state.set(State.TERMINATED);
            log.info("supervisor {} stopped", settings.name());
        }
    }

    /** The host name written into the registry document. */
    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException | RuntimeException e) {
            return "unknown-host";
        }
    }

    /** {@return the docjobs version this supervisor runs: the jar's Implementation-Version, or "development build"} */
    static String version() {
        String version = Supervisor.class.getPackage().getImplementationVersion();
        return version == null || version.isBlank() ? "development build" : version;
    }

    /** {@return where this supervisor is in its life} */
    public State state() {
        return state.get();
    }

    /** {@return the jobs whose handler is running now, or whose outcome is being recorded} */
    public int inFlight() {
        return engine.inFlight();
    }

    /**
     * Liveness, for a probe that restarts the process: the supervisor is running and its pollers
     * and lease keeper are alive and went round within {@link #LIVENESS_STALL} plus the idle
     * back-off cap. Makes no database call, so a database outage does not make it false.
     *
     * @return true while live
     */
    public boolean isLive() {
        return state.get() == State.RUNNING && engine.loopsAlive(LIVENESS_STALL.plus(settings.idleMax()));
    }

    /**
     * Whether claiming works: false after several failed polls in a row (database unreachable, a
     * claim the database keeps refusing), true again after the next poll that works. Health
     * checks should report a supervisor whose claims keep failing as down.
     *
     * @return false while claims keep failing
     */
    public boolean claimsSucceeding() {
        return engine.pollsSucceeding();
    }

    /** {@return the schedules this supervisor defines when it starts, in registration order; unmodifiable} */
    public List<Schedule> schedules() {
        return schedules;
    }

    /** {@return the types this supervisor claims, in registration order; unmodifiable} */
    public List<String> types() {
        return types;
    }

    /** {@return the supervisor's name, as in thread names and logs} */
    public String name() {
        return settings.name();
    }

    /** {@return the worker id written into the leases this supervisor claims, the default resolved} */
    public String workerId() {
        return settings.workerId();
    }

    /**
     * {@return the configuration this supervisor runs with, as set: its worker id may be null (see {@link
     * #workerId()})}
     */
    public SupervisorConfig config() {
        return config;
    }

    /** {@return where this supervisor's meters go} */
    public MeterRegistry meterRegistry() {
        return settings.registry();
    }

    /** The default of {@link Builder#schedulerTick}: how often a supervisor looks for due schedules. */
    public static final Duration DEFAULT_SCHEDULER_TICK = Duration.ofSeconds(1);
    /** The longest {@link Builder#schedulerTick}: a schedule fires at most this late when nothing is wrong. */
    public static final Duration MAX_SCHEDULER_TICK = Duration.ofMinutes(1);

    /** Builds a {@link Supervisor}; {@link #build()} validates everything and reports all problems at once. */
    public static final class Builder {
        private final JobConsumer queue;
        private final Map<String, Schedule> schedules = new LinkedHashMap<>();
        private boolean scheduler;
        private Duration schedulerTick = DEFAULT_SCHEDULER_TICK;
        private final Map<String, JobHandler> handlers = new LinkedHashMap<>();
        private final Map<String, HandlerOptions> options = new LinkedHashMap<>();
        private final List<String> problems = new ArrayList<>();
        private SupervisorConfig.Builder config = SupervisorConfig.builder();
        private MeterRegistry registry;
        private ObservationRegistry observations = ObservationRegistry.NOOP;

        private Builder(JobConsumer queue) {
            this.queue = Bounds.notNull(queue, "queue");
        }

        /**
         * Registers a handler with {@link HandlerOptions#DEFAULTS}; problems are reported by {@link #build()}.
         *
         * @param type    the job type; not blank, one handler per type
         * @param handler runs the jobs of {@code type}, on worker threads
         * @return this builder
         */
        public Builder handle(String type, JobHandler handler) {
            return handle(type, handler, HandlerOptions.DEFAULTS);
        }

        /**
         * Registers a handler; problems are reported by {@link #build()}, with every other.
         *
         * @param type    the job type; not blank, one handler per type
         * @param handler runs the jobs of {@code type}, on worker threads
         * @param options how the type runs; its concurrency at most the workers
         * @return this builder
         */
        public Builder handle(String type, JobHandler handler, HandlerOptions options) {
            if (type == null || type.isBlank()) {
                problems.add("handler type was " + (type == null ? "null" : "\"" + type + "\"") + " but must be non-blank");
            } else if (handlers.containsKey(type)) {
                problems.add("type \"" + type + "\" has two handlers; register exactly one per type");
            } else if (handler == null || options == null) {
                problems.add("handler and options for type \"" + type + "\" must not be null");
            } else {
                handlers.put(type, handler);
                this.options.put(type, options);
            }
            return this;
        }

        /**
         * Names the supervisor in thread names, logs and the default worker id; default
         * {@value SupervisorConfig#DEFAULT_NAME}.
         *
         * @param name as {@link SupervisorConfig#name()}
         * @return this builder
         */
        public Builder name(String name) {
            config.name(name);
            return this;
        }

        /**
         * The worker id written into leases; default null, for host-pid-name.
         *
         * @param workerId as {@link SupervisorConfig#workerId()}
         * @return this builder
         */
        public Builder workerId(@Nullable String workerId) {
            config.workerId(workerId);
            return this;
        }

        /**
         * Most jobs running at once (worker slots); default {@value SupervisorConfig#DEFAULT_WORKERS}.
         *
         * @param workers as {@link SupervisorConfig#workers()}
         * @return this builder
         */
        public Builder workers(int workers) {
            config.workers(workers);
            return this;
        }

        /**
         * Poller threads; default {@value SupervisorConfig#DEFAULT_POLLERS}, which suits most deployments.
         *
         * @param pollers as {@link SupervisorConfig#pollers()}
         * @return this builder
         */
        public Builder pollers(int pollers) {
            config.pollers(pollers);
            return this;
        }

        /**
         * Most entries one claim round takes; default {@value SupervisorConfig#DEFAULT_MAX_BATCH}.
         *
         * @param maxBatch as {@link SupervisorConfig#maxBatch()}
         * @return this builder
         */
        public Builder maxBatch(int maxBatch) {
            config.maxBatch(maxBatch);
            return this;
        }

        /**
         * Jobs claimed ahead of free workers; default {@value SupervisorConfig#DEFAULT_PREFETCH}.
         *
         * @param prefetch as {@link SupervisorConfig#prefetch()}
         * @return this builder
         */
        public Builder prefetch(int prefetch) {
            config.prefetch(prefetch);
            return this;
        }

        /**
         * Idle back-off: the first wait after an empty poll, and the cap it doubles up to (with jitter);
         * default 50 ms and 2 s.
         *
         * @param min as {@link SupervisorConfig#idleBackoffMin()}
         * @param max as {@link SupervisorConfig#idleBackoffMax()}
         * @return this builder
         */
        public Builder idleBackoff(Duration min, Duration max) {
            config.idleBackoff(min, max);
            return this;
        }

        /**
         * How long {@link Supervisor#close()} waits for running jobs; default 30 s.
         *
         * @param drainTimeout as {@link SupervisorConfig#drainTimeout()}
         * @return this builder
         */
        public Builder drainTimeout(Duration drainTimeout) {
            config.drainTimeout(drainTimeout);
            return this;
        }

        /**
         * Defines a schedule when the supervisor starts ({@link Schedules#define}) and fires the
         * queue's schedules while it runs. Its type must have a handler here; problems are reported by
         * {@link #build()}. Schedules need a {@link JobQueue}, not a bare consumer.
         *
         * @param schedule the definition
         * @return this builder
         */
        public Builder schedule(Schedule schedule) {
            if (schedule == null) {
                problems.add("schedule was null but must be given");
            } else if (schedules.putIfAbsent(schedule.id(), schedule) != null) {
                problems.add("schedule \"" + schedule.id() + "\" is defined twice; give each schedule its own id");
            }
            return this;
        }

        /**
         * Whether to fire the queue's schedules even if none is defined here (defined by other
         * processes or the CLI); default false. A supervisor with {@link #schedule}s always does.
         *
         * @param scheduler true to fire schedules
         * @return this builder
         */
        public Builder scheduler(boolean scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /**
         * How often due schedules are looked for while times are due (one query of the schedules
         * collection); default {@link #DEFAULT_SCHEDULER_TICK}. Between times the scheduler sleeps
         * until the next one, for at most ten ticks, so that a schedule another process defines
         * fires its first time at most ten ticks late: an idle supervisor sends two queries per ten
         * ticks for its schedules.
         *
         * @param tick from 10 ms to {@link #MAX_SCHEDULER_TICK}
         * @return this builder
         */
        public Builder schedulerTick(Duration tick) {
            this.schedulerTick = tick;
            return this;
        }

        /**
         * Every setting of {@code config} at once, replacing those set before (handlers, registries
         * and observation are not part of it).
         *
         * @param config the settings; not null
         * @return this builder
         */
        public Builder config(SupervisorConfig config) {
            this.config = config.toBuilder();
            return this;
        }

        /**
         * Where meters go.
         *
         * @param registry null (the default) for a private {@link SimpleMeterRegistry}
         * @return this builder
         */
        public Builder meterRegistry(MeterRegistry registry) {
            this.registry = registry;
            return this;
        }

        /**
         * Where each handler run is observed, as a consumer of the producer's trace context (see
         * the README's "Tracing"); default {@link ObservationRegistry#NOOP}, which costs nothing.
         *
         * @param observations not null
         * @return this builder
         */
        public Builder observationRegistry(ObservationRegistry observations) {
            this.observations = Bounds.notNull(observations, "observations");
            return this;
        }

        /**
         * How often queue-depth gauges are refreshed with one aggregate query; default 15 s, zero
         * disables them. Only when the queue given to {@link Supervisor#builder} is also a
         * {@link JobAdmin}, as every {@link JobQueue} is.
         *
         * @param depthRefresh as {@link SupervisorConfig#depthRefresh()}
         * @return this builder
         */
        public Builder depthRefresh(Duration depthRefresh) {
            config.depthRefresh(depthRefresh);
            return this;
        }

        /**
         * How often the supervisor writes its document in the queue's supervisor registry; default 10 s,
         * zero turns it off. Only when the queue given to {@link Supervisor#builder} is a {@link JobQueue}
         * connected by docjobs.
         *
         * @param registryInterval as {@link SupervisorConfig#registryInterval()}
         * @return this builder
         */
        public Builder registryInterval(Duration registryInterval) {
            config.registryInterval(registryInterval);
            return this;
        }

        /**
         * {@return a supervisor in {@link State#NEW}; nothing runs until {@link Supervisor#start()}}
         *
         * @throws ConfigurationException naming every invalid setting: handlers and configuration together
         */
        public Supervisor build() {
            List<String> all = new ArrayList<>(problems);
            if (handlers.isEmpty() && problems.isEmpty()) {
                all.add("no handlers registered: call handle(type, handler) for each job type to run");
            }
            SupervisorConfig built = null;
            try {
                built = config.build();
            } catch (ConfigurationException e) {
                all.addAll(e.problems());
            }
            int workers = config.workers();
            for (Map.Entry<String, HandlerOptions> registered : options.entrySet()) {
                int concurrency = registered.getValue().concurrency();
                if (concurrency > workers && workers >= 1) {
                    all.add("concurrency of type \"" + registered.getKey() + "\" was " + concurrency
                            + " but cannot exceed workers (" + workers + ")");
                }
            }
            checkSchedules(all);
            if (!all.isEmpty()) {
                throw new ConfigurationException(all, null);
            }
            Engine.Settings settings = new Engine.Settings(built.name(), built.effectiveWorkerId(), built.workers(),
                    built.pollers(), built.maxBatch(), built.prefetch(), built.idleBackoffMin(), built.idleBackoffMax(), built.drainTimeout(),
                    registry != null ? registry : new SimpleMeterRegistry(), observations);
            return new Supervisor(this, built, settings);
        }

        private void checkSchedules(List<String> all) {
            if (schedulerTick == null || schedulerTick.compareTo(Duration.ofMillis(10)) < 0
                    || schedulerTick.compareTo(MAX_SCHEDULER_TICK) > 0) {
                all.add("schedulerTick was " + schedulerTick + " but must be between PT0.01S and " + MAX_SCHEDULER_TICK);
            }
            if ((scheduler || !schedules.isEmpty()) && !(queue instanceof JobQueue)) {
                all.add("schedules need a JobQueue, but the queue given is only a " + queue.getClass().getSimpleName());
            }
            for (Schedule schedule : schedules.values()) {
                if (!handlers.containsKey(schedule.type())) {
                    all.add("schedule \"" + schedule.id() + "\": type was \"" + schedule.type()
                            + "\" but must be a type this supervisor handles " + handlers.keySet());
                }
            }
        }
    }
}
