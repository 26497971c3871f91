package io.docjobs.internal;

import io.docjobs.SupervisorInfo;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The supervisor's meters. Names follow Micrometer conventions (dotted, lowercase, base units) and
 * carry only low-cardinality tags: {@code queue}, {@code type}, {@code outcome}, {@code result},
 * {@code operation}. The README's metrics table documents each one.
 */
final class SupervisorMetrics {
    static final String CLAIMED = "docjobs.jobs.claimed";
    static final String FINISHED = "docjobs.jobs.finished";
    static final String HANDLER_DURATION = "docjobs.handler.duration";
    static final String QUEUE_WAIT = "docjobs.queue.wait";
    static final String IN_FLIGHT = "docjobs.jobs.in.flight";
    static final String POLLS = "docjobs.polls";
    static final String LEASE_EXTENSIONS = "docjobs.lease.extensions";
    static final String LEASE_LOSSES = "docjobs.lease.losses";
    static final String DB_ERRORS = "docjobs.db.errors";
    static final String STUCK_HANDLERS = "docjobs.handlers.stuck";

    /** Outcome tag values of {@value #FINISHED}. */
    static final String SUCCESS = "success";
    static final String RETRY = "retry";
    static final String DEAD = "dead";
    static final String LEASE_LOST = "lease_lost";
    static final String TIMEOUT = "timeout";
    static final String ABANDONED = "abandoned";
    /** Ended by an operator's cancellation request, seen at a heartbeat. */
    static final String CANCELLED = "cancelled";

    private final MeterRegistry registry;
    private final Tags queueTags;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final AtomicInteger stuck = new AtomicInteger();
    private final Counter pollHit;
    private final Counter pollEmpty;
    private final Counter pollError;
    private final Counter extensions;
    /** The counts of the registry document: totals since start, alongside the meters (which may go nowhere). */
    private final AtomicLong claimedTotal = new AtomicLong();
    private final Map<String, AtomicLong> finishedTotals = new ConcurrentHashMap<>();
    private final AtomicLong queueWaitMillis = new AtomicLong();
    private final AtomicLong queueWaitCount = new AtomicLong();
    /**
     * Meters with per-type tags, by name and tag values: built and registered once, not again for
     * every job (each time a new id, its tags sorted and merged, and a registry lookup).
     */
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    SupervisorMetrics(MeterRegistry registry, String queue, Iterable<String> types) {
        this.registry = registry;
        this.queueTags = Tags.of("queue", queue);
        for (String type : types) {
            AtomicInteger count = new AtomicInteger();
            inFlight.put(type, count);
            Gauge.builder(IN_FLIGHT, count, AtomicInteger::get).tags(queueTags).tag("type", type)
                    .description("jobs whose handler is running now").register(registry);
        }
        Gauge.builder(STUCK_HANDLERS, stuck, AtomicInteger::get).tags(queueTags)
                .description("handler threads still running after their job timed out, lost its lease or was abandoned")
                .register(registry);
        pollHit = polls("hit");
        pollEmpty = polls("empty");
        pollError = polls("error");
        extensions = Counter.builder(LEASE_EXTENSIONS).tags(queueTags).description("leases extended by heartbeats")
                .register(registry);
        // Every counter exists from the start at zero, so rate() and increase() see the first event.
        for (String type : types) {
            claimedCounter(type);
            for (String outcome : OUTCOMES) {
                finishedCounter(type, outcome);
            }
            leaseLossCounter(type);
        }
        for (String operation : DB_OPERATIONS) {
            databaseErrorCounter(operation);
        }
        for (String outcome : OUTCOMES) {
            finishedTotals.put(outcome, new AtomicLong());
        }
    }

    /** {@return the totals since start, with {@code registryErrors} as given} */
    SupervisorInfo.Counts counts(long registryErrors) {
        return new SupervisorInfo.Counts(claimedTotal.get(), total(SUCCESS), total(RETRY), total(DEAD), total(TIMEOUT),
                total(LEASE_LOST), total(ABANDONED), queueWaitMillis.get(), queueWaitCount.get(), registryErrors);
    }

    private long total(String outcome) {
        return finishedTotals.get(outcome).get();
    }

    /** Every outcome tag value of {@value #FINISHED}. */
    static final java.util.List<String> OUTCOMES = java.util.List.of(SUCCESS, RETRY, DEAD, LEASE_LOST, TIMEOUT, ABANDONED,
            CANCELLED);
    /** Every operation tag value of {@value #DB_ERRORS}. */
    static final java.util.List<String> DB_OPERATIONS = java.util.List.of("claim", "extend", "done", "release");

    private Counter claimedCounter(String type) {
        return counters.computeIfAbsent(CLAIMED + '\0' + type, key -> Counter.builder(CLAIMED).tags(queueTags)
                .tag("type", type).description("jobs claimed").register(registry));
    }

    private Counter finishedCounter(String type, String outcome) {
        return counters.computeIfAbsent(FINISHED + '\0' + type + '\0' + outcome, key -> Counter.builder(FINISHED)
                .tags(queueTags).tag("type", type).tag("outcome", outcome).description("jobs finished by outcome")
                .register(registry));
    }

    private Counter leaseLossCounter(String type) {
        return Counter.builder(LEASE_LOSSES).tags(queueTags).tag("type", type)
                .description("leases found taken by another worker").register(registry);
    }

    private Counter databaseErrorCounter(String operation) {
        return Counter.builder(DB_ERRORS).tags(queueTags).tag("operation", operation)
                .description("failed database operations, after the queue's own retries").register(registry);
    }

    private Counter polls(String result) {
        return Counter.builder(POLLS).tags(queueTags).tag("result", result)
                .description("claim round trips by result").register(registry);
    }

    void polled(int claimed) {
        (claimed > 0 ? pollHit : pollEmpty).increment();
    }

    void pollFailed() {
        pollError.increment();
    }

    void claimed(String type, Duration queueWait) {
        claimedCounter(type).increment();
        claimedTotal.incrementAndGet();
        if (queueWait != null && !queueWait.isNegative()) {
            queueWaitMillis.addAndGet(queueWait.toMillis());
            queueWaitCount.incrementAndGet();
            timers.computeIfAbsent(QUEUE_WAIT + '\0' + type, key -> Timer.builder(QUEUE_WAIT).tags(queueTags)
                    .tag("type", type).description("time from visible to claimed").register(registry)).record(queueWait);
        }
    }

    void started(String type) {
        inFlight.get(type).incrementAndGet();
    }

    void handlerReturned(String type, String outcome, long nanos) {
        inFlight.get(type).decrementAndGet();
        timers.computeIfAbsent(HANDLER_DURATION + '\0' + type + '\0' + outcome, key -> Timer.builder(HANDLER_DURATION)
                .tags(queueTags).tag("type", type).tag("outcome", outcome).description("handler run time")
                .register(registry)).record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    void finished(String type, String outcome) {
        finishedCounter(type, outcome).increment();
        finishedTotals.get(outcome).incrementAndGet();
    }

    void leaseLost(String type) {
        leaseLossCounter(type).increment();
    }

    void extended(int count) {
        extensions.increment(count);
    }

    void databaseError(String operation) {
        databaseErrorCounter(operation).increment();
    }

    void stuckChanged(int delta) {
        stuck.addAndGet(delta);
    }
}
