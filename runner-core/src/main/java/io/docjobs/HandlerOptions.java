package io.docjobs;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * How a {@link Supervisor} runs one job type. Immutable; build with {@link #builder()}; the
 * defaults ({@link #DEFAULTS}) suit most handlers.
 *
 * @param concurrency  most jobs of this type running at once in this supervisor; 0 = no limit of
 *                     its own (only the supervisor's worker threads)
 * @param leaseExtension how far each heartbeat moves the lease deadline; null = the entry's own
 *                     visibility timeout; at most {@link JobRequest#MAX_VISIBILITY_TIMEOUT}
 * @param maxAttempts  if set, dead-letter after this many attempts even if the entry allows more
 * @param backoff      delay before retry number n (n = the attempt that failed, from 1), from
 *                     resilience4j; default exponential from 1 s, doubling, ±50 % jitter, capped at
 *                     5 min; the builder's exponential back-off allows up to {@link #MAX_BACKOFF}
 * @param timeout      per-job time limit; null = none; at most {@link #MAX_TIMEOUT}. When it passes
 *                     the handler is interrupted, its slot freed and the job released as failed
 * @param nonRetryable exception types that dead-letter at once (matched on the exception and its
 *                     causes); {@link NonRetryableException} always does
 */
public record HandlerOptions(
        int concurrency,
        Duration leaseExtension,
        Integer maxAttempts,
        IntervalFunction backoff,
        Duration timeout,
        Set<Class<? extends Throwable>> nonRetryable) {

    public static final Duration DEFAULT_BACKOFF_INITIAL = Duration.ofSeconds(1);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofMinutes(5);
    public static final double DEFAULT_BACKOFF_MULTIPLIER = 2.0;
    public static final double DEFAULT_BACKOFF_RANDOMIZATION = 0.5;
    /** The longest {@code timeout}: 7 days; a job that needs longer should checkpoint and enqueue a follow-up. */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    /**
     * The longest initial or maximum back-off of {@link Builder#backoff(Duration, double, double, Duration)}:
     * 1 day; a job failing for longer belongs in the dead letters, to be requeued once fixed.
     */
    public static final Duration MAX_BACKOFF = Duration.ofDays(1);
    public static final HandlerOptions DEFAULTS = builder().build();

    public HandlerOptions {
        List<String> problems = new ArrayList<>();
        if (backoff == null) {
            problems.add("backoff was null but must be set");
        }
        check(concurrency, leaseExtension, maxAttempts, timeout, problems);
        nonRetryable = nonRetryable == null ? Set.of() : Set.copyOf(nonRetryable);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
    }

    /** Checks everything but the back-off, which the builder may still have to make. */
    private static void check(int concurrency, Duration leaseExtension, Integer maxAttempts, Duration timeout,
            List<String> problems) {
        if (concurrency < 0) {
            problems.add("concurrency was " + concurrency + " but must be 0 (no limit) or positive");
        }
        if (leaseExtension != null) {
            JobRequest.checkVisibilityTimeout("leaseExtension", leaseExtension, problems);
        }
        if (maxAttempts != null && maxAttempts < 1) {
            problems.add("maxAttempts was " + maxAttempts + " but must be at least 1");
        }
        if (timeout != null) {
            Bounds.positive("timeout", timeout, MAX_TIMEOUT,
                    "a job that needs longer should save its progress and enqueue a follow-up job", problems);
        }
    }

    private static void checkExponentialBackoff(Duration initial, double multiplier, double randomization,
            Duration max, List<String> problems) {
        int before = problems.size();
        Bounds.positiveMillis("backoff initial", initial, MAX_BACKOFF, "", problems);
        Bounds.positiveMillis("backoff max", max, MAX_BACKOFF, "", problems);
        if (problems.size() == before && max.compareTo(initial) < 0) {
            problems.add("backoff max was " + max + " but must be at least backoff initial (" + initial + ")");
        }
        if (!(multiplier >= 1 && multiplier < Double.POSITIVE_INFINITY)) {
            problems.add("backoff multiplier was " + multiplier + " but must be at least 1 (1 keeps the back-off constant)");
        }
        if (!(randomization >= 0 && randomization <= 1)) {
            problems.add("backoff randomization was " + randomization + " but must be between 0 and 1");
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link HandlerOptions}; every setter is optional. */
    public static final class Builder {
        private int concurrency;
        private Duration leaseExtension;
        private Integer maxAttempts;
        private IntervalFunction backoff; // null: exponential from the four values below
        private Duration backoffInitial = DEFAULT_BACKOFF_INITIAL;
        private double backoffMultiplier = DEFAULT_BACKOFF_MULTIPLIER;
        private double backoffRandomization = DEFAULT_BACKOFF_RANDOMIZATION;
        private Duration backoffMax = DEFAULT_BACKOFF_MAX;
        private Duration timeout;
        private final java.util.LinkedHashSet<Class<? extends Throwable>> nonRetryable = new java.util.LinkedHashSet<>();

        private Builder() {
        }

        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        public Builder leaseExtension(Duration leaseExtension) {
            this.leaseExtension = leaseExtension;
            return this;
        }

        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * Exponential backoff: {@code initial}, times {@code multiplier} per attempt, ±{@code randomization},
         * at most {@code max}. Checked by {@link #build()}: {@code initial} and {@code max} from 1 ms to
         * {@link #MAX_BACKOFF}, {@code multiplier} at least 1, {@code randomization} from 0 to 1.
         */
        public Builder backoff(Duration initial, double multiplier, double randomization, Duration max) {
            this.backoff = null;
            this.backoffInitial = initial;
            this.backoffMultiplier = multiplier;
            this.backoffRandomization = randomization;
            this.backoffMax = max;
            return this;
        }

        public Builder backoff(IntervalFunction backoff) {
            this.backoff = Objects.requireNonNull(backoff, "backoff");
            return this;
        }

        public Builder timeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        @SafeVarargs
        public final Builder nonRetryable(Class<? extends Throwable>... types) {
            nonRetryable.addAll(List.of(types));
            return this;
        }

        /** @throws ConfigurationException naming every invalid value */
        public HandlerOptions build() {
            IntervalFunction function = backoff;
            if (function == null) {
                List<String> problems = new ArrayList<>();
                checkExponentialBackoff(backoffInitial, backoffMultiplier, backoffRandomization, backoffMax, problems);
                if (!problems.isEmpty()) {
                    check(concurrency, leaseExtension, maxAttempts, timeout, problems);
                    throw new ConfigurationException(problems, null);
                }
                function = IntervalFunction.ofExponentialRandomBackoff(backoffInitial, backoffMultiplier,
                        backoffRandomization, backoffMax);
            }
            return new HandlerOptions(concurrency, leaseExtension, maxAttempts, function, timeout, nonRetryable);
        }
    }
}
