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
 *                     visibility timeout
 * @param maxAttempts  if set, dead-letter after this many attempts even if the entry allows more
 * @param backoff      delay before retry number n (n = the attempt that failed, from 1), from
 *                     resilience4j; default exponential from 1 s, doubling, ±50 % jitter, capped at
 *                     5 min
 * @param timeout      per-job time limit; null = none. When it passes the handler is interrupted,
 *                     its slot freed and the job released as failed
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
    public static final HandlerOptions DEFAULTS = builder().build();

    public HandlerOptions {
        List<String> problems = new ArrayList<>();
        if (concurrency < 0) {
            problems.add("concurrency was " + concurrency + " but must be 0 (no limit) or positive");
        }
        if (leaseExtension != null) {
            JobRequest.checkVisibilityTimeout("leaseExtension", leaseExtension, problems);
        }
        if (maxAttempts != null && maxAttempts < 1) {
            problems.add("maxAttempts was " + maxAttempts + " but must be at least 1");
        }
        if (backoff == null) {
            problems.add("backoff was null but must be set");
        }
        if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
            problems.add("timeout was " + timeout + " but must be positive (or null for none)");
        }
        nonRetryable = nonRetryable == null ? Set.of() : Set.copyOf(nonRetryable);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
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
        private IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(
                DEFAULT_BACKOFF_INITIAL, 2.0, 0.5, DEFAULT_BACKOFF_MAX);
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

        /** Exponential backoff: {@code initial}, times {@code multiplier} per attempt, ±{@code randomization}, at most {@code max}. */
        public Builder backoff(Duration initial, double multiplier, double randomization, Duration max) {
            this.backoff = IntervalFunction.ofExponentialRandomBackoff(initial, multiplier, randomization, max);
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

        public HandlerOptions build() {
            return new HandlerOptions(concurrency, leaseExtension, maxAttempts, backoff, timeout, nonRetryable);
        }
    }
}
