package io.docjobs.tools.chaos;

import java.time.Duration;
import org.bson.Document;

/**
 * What each of the producer's chaos jobs does, decided by its sequence number and written into its
 * payload, so that the handler (which reads it back) and the final accounting agree without sharing
 * state: {@code {"seq": n, "kind": "long", "lengthMs": ..., "leaseMs": ...}},
 * {@code {"seq": n, "kind": "retry", "failures": 1}}, {@code {"seq": n, "kind": "poison"}}, or just
 * {@code {"seq": n}} for a short job. The partition's probe job ({@link NetworkChaos}) is one more,
 * outside the sequence: {@code {"probe": "partition", "kind": "probe", "lingerMs": ...}}. The kinds
 * are spread evenly (every k-th job), not drawn at random, so a run's mix is the same every time.
 */
final class JobKinds {
    /** The payload key of the kind; absent for a short job (and for the schedules' jobs). */
    static final String KIND_KEY = "kind";
    static final String FAILURES_KEY = "failures";
    static final String LENGTH_KEY = "lengthMs";
    static final String LEASE_KEY = "leaseMs";
    /** The attempts a poison job gets: few, so that it is dead-lettered soon. */
    static final int POISON_MAX_ATTEMPTS = 3;
    /** Starts the message of every failure the handler throws on purpose: a dead letter with it died by design. */
    static final String PLANNED_FAILURE = "chaos: planned failure";

    /** What a job's handler does. */
    enum Kind {
        /** A few milliseconds of work (now and then more), as before. */
        SHORT,
        /** Runs several visibility timeouts, kept alive by the supervisor's heartbeats. */
        LONG,
        /** Its first {@code failures} attempts fail; a later one succeeds. */
        RETRY,
        /** Fails every attempt; dead-lettered after {@link #POISON_MAX_ATTEMPTS}. */
        POISON,
        /**
         * The partition's probe ({@link NetworkChaos}): its first attempt works until cancelled, on the
         * daemon the driver cuts off; a later attempt is short. Never fails on purpose.
         */
        PROBE;

        String label() {
            return name().toLowerCase();
        }
    }

    /**
     * One job's kind.
     *
     * @param failures for RETRY, how many attempts fail first (1 or 2); else 0
     * @param length   for LONG, how long the work takes; else zero
     * @param lease    for LONG, the job's visibility timeout (how far each heartbeat moves the deadline)
     */
    record Job(Kind kind, int failures, Duration length, Duration lease) {
        static final Job SHORT = new Job(Kind.SHORT, 0, Duration.ZERO, Duration.ZERO);
        static final Job PROBE = new Job(Kind.PROBE, 0, Duration.ZERO, Duration.ZERO);

        /** The job's message type: long jobs have their own, with a concurrency limit. */
        String type() {
            return kind == Kind.LONG ? ChaosHandler.LONG_TYPE : ChaosHandler.TYPE;
        }

        /** Whether attempt {@code attempt} (from 1) fails by design. */
        boolean failsOn(int attempt) {
            return kind == Kind.POISON || kind == Kind.RETRY && attempt <= failures;
        }

        int maxAttempts() {
            return kind == Kind.POISON ? POISON_MAX_ATTEMPTS : Producer.MAX_ATTEMPTS;
        }

        /** The message of the planned failure of {@code attempt}. */
        String failure(int attempt) {
            return PLANNED_FAILURE + " of attempt " + attempt + (kind == Kind.POISON ? " (a poison job fails every attempt)"
                    : " (a retry job fails its first " + failures + ")");
        }

        /** The payload of job {@code seq} of this kind. */
        Document payload(int seq) {
            Document payload = new Document("seq", seq);
            switch (kind) {
                case LONG -> payload.append(KIND_KEY, kind.label()).append(LENGTH_KEY, length.toMillis())
                        .append(LEASE_KEY, lease.toMillis());
                case RETRY -> payload.append(KIND_KEY, kind.label()).append(FAILURES_KEY, failures);
                case POISON, PROBE -> payload.append(KIND_KEY, kind.label());
                case SHORT -> { }
            }
            return payload;
        }

        /** The kind a payload names; a payload without one (a short job, a schedule's job) is {@link #SHORT}. */
        static Job fromPayload(Document payload) {
            String kind = payload.getString(KIND_KEY);
            if (kind == null) {
                return SHORT;
            }
            return switch (Kind.valueOf(kind.toUpperCase())) {
                case LONG -> new Job(Kind.LONG, 0, Duration.ofMillis(((Number) payload.get(LENGTH_KEY)).longValue()),
                        Duration.ofMillis(((Number) payload.get(LEASE_KEY)).longValue()));
                case RETRY -> new Job(Kind.RETRY, ((Number) payload.get(FAILURES_KEY)).intValue(), Duration.ZERO, Duration.ZERO);
                case POISON -> new Job(Kind.POISON, 0, Duration.ZERO, Duration.ZERO);
                case PROBE -> PROBE;
                case SHORT -> SHORT;
            };
        }
    }

    private final Workload workload;
    private final Duration visibilityTimeout;
    private final int longCount;
    private final int longEvery;
    private final int retryEvery;
    private final int poisonEvery;

    JobKinds(int total, Workload workload, Duration visibilityTimeout) {
        this.workload = workload;
        this.visibilityTimeout = visibilityTimeout;
        this.longCount = (int) Math.round(total * workload.longShare());
        this.longEvery = longCount == 0 ? 0 : Math.max(1, (int) (total * workload.longSpan() / longCount));
        this.retryEvery = every(workload.retryShare());
        this.poisonEvery = every(workload.poisonShare());
    }

    /** The kind of job {@code seq} (from 0). Long beats poison beats retry where the spacings meet. */
    Job of(int seq) {
        if (longEvery > 0 && seq % longEvery == longEvery / 2 && seq / longEvery < longCount) {
            // Lengths cycle through four steps from the shortest to the longest.
            double fraction = (seq / longEvery % 4) / 3.0;
            return new Job(Kind.LONG, 0, workload.longLength(visibilityTimeout, fraction), visibilityTimeout);
        }
        if (poisonEvery > 0 && seq % poisonEvery == poisonEvery / 3) {
            return new Job(Kind.POISON, 0, Duration.ZERO, Duration.ZERO);
        }
        if (retryEvery > 0 && seq % retryEvery == retryEvery / 4) {
            return new Job(Kind.RETRY, 1 + seq / retryEvery % 2, Duration.ZERO, Duration.ZERO);
        }
        return Job.SHORT;
    }

    private static int every(double share) {
        return share <= 0 ? 0 : Math.max(1, (int) Math.round(1 / share));
    }
}
