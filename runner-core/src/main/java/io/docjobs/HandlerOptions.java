package io.docjobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * How a {@link Supervisor} runs one job type. Immutable; build with {@link #builder()}; the
 * defaults ({@link #DEFAULTS}) suit most handlers.
 *
 * @param concurrency  most jobs of this type running at once in this supervisor; 0 = no limit of
 *                     its own (only the supervisor's worker threads)
 * @param leaseExtension how far each heartbeat moves the lease deadline; null = the entry's own
 *                     visibility timeout; at most {@link JobRequest#MAX_VISIBILITY_TIMEOUT}
 * @param maxAttempts  if set, dead-letter after this many attempts even if the entry allows more
 * @param backoff      the wait before the next attempt, by the attempt that failed (from 1); default
 *                     {@code Backoff.exponential().build()}: from 1 s, doubling, ±50 % jitter, at
 *                     most 5 min; whatever it returns is kept within {@link Backoff#MAX_DELAY}
 * @param timeout      per-job time limit; null = none; at most {@link #MAX_TIMEOUT}. When it passes
 *                     the handler is interrupted, its slot freed and the job released as failed
 * @param nonRetryable exception types that dead-letter at once (matched on the exception and its
 *                     causes); {@link NonRetryableException} always does
 */
public record HandlerOptions(
        int concurrency,
        @Nullable Duration leaseExtension,
        @Nullable Integer maxAttempts,
        Backoff backoff,
        @Nullable Duration timeout,
        Set<Class<? extends Throwable>> nonRetryable) {

    /** The longest {@code timeout}: 7 days; a job that needs longer should checkpoint and enqueue a follow-up. */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(7);
    /** Every option at its default: no concurrency limit of its own, the entry's lease and attempts, no time-out. */
    public static final HandlerOptions DEFAULTS = builder().build();

    /**
     * Checks every value against the rules above; a null {@code nonRetryable} becomes empty.
     *
     * @param concurrency    the type's own limit, or 0
     * @param leaseExtension the heartbeat's extension, or null
     * @param maxAttempts    the type's attempt cap, or null
     * @param backoff        the retry delays
     * @param timeout        the per-job time limit, or null
     * @param nonRetryable   the exception types that dead-letter at once
     * @throws ConfigurationException naming every invalid value
     */
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

    /** Checks everything but the backoff, which the builder may still have to build. */
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

    /** {@return a builder with every option at its default} */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link HandlerOptions}; every setter is optional. */
    public static final class Builder {
        private int concurrency;
        private Duration leaseExtension;
        private Integer maxAttempts;
        private Backoff backoff; // null: built from exponential at build(), its problems reported with the rest
        private Backoff.ExponentialBuilder exponential = Backoff.exponential();
        private Duration timeout;
        private final Set<Class<? extends Throwable>> nonRetryable = new LinkedHashSet<>();

        private Builder() {
        }

        /**
         * Most jobs of this type running at once in this supervisor; default 0, no limit of its own.
         *
         * @param concurrency 0 or positive, at most the supervisor's workers
         * @return this builder
         */
        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        /**
         * How far each heartbeat moves the lease deadline; default null, the entry's visibility timeout.
         *
         * @param leaseExtension from 1 ms to {@link JobRequest#MAX_VISIBILITY_TIMEOUT}, or null
         * @return this builder
         */
        public Builder leaseExtension(@Nullable Duration leaseExtension) {
            this.leaseExtension = leaseExtension;
            return this;
        }

        /**
         * Dead-letters after this many attempts even if the entry allows more; default unset, the entry's own.
         *
         * @param maxAttempts at least 1
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * An exponential backoff, built when this builder is: its invalid values are reported
         * together with the other options'. A copy is taken, so later changes to {@code exponential}
         * do not reach these options.
         *
         * @param exponential the backoff's settings
         * @return this builder
         */
        public Builder backoff(Backoff.ExponentialBuilder exponential) {
            this.backoff = null;
            this.exponential = Bounds.notNull(exponential, "exponential").copy();
            return this;
        }

        /**
         * Any backoff, such as {@link Backoff#fixed(Duration)} or a lambda; default {@code Backoff.exponential()}.
         *
         * @param backoff called on worker threads, several at once
         * @return this builder
         */
        public Builder backoff(Backoff backoff) {
            this.backoff = Bounds.notNull(backoff, "backoff");
            return this;
        }

        /**
         * The per-job time limit, after which the handler is interrupted; default null, none.
         *
         * @param timeout positive, at most {@link #MAX_TIMEOUT}, or null
         * @return this builder
         */
        public Builder timeout(@Nullable Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /**
         * Exception types that dead-letter at once, matched on the exception and its causes; added to earlier ones.
         *
         * @param types the types, none null
         * @return this builder
         */
        @SafeVarargs
        public final Builder nonRetryable(Class<? extends Throwable>... types) {
            // One by one rather than List.of(types): handing the generic array on is what
            // -Xlint:varargs reports as possible heap pollution.
            for (Class<? extends Throwable> type : types) {
                nonRetryable.add(Bounds.notNull(type, "nonRetryable type"));
            }
            return this;
        }

        /**
         * {@return the options}
         *
         * @throws ConfigurationException naming every invalid value, the backoff's included
         */
        public HandlerOptions build() {
            Backoff built = backoff;
            if (built == null) {
                List<String> problems = new ArrayList<>();
                exponential.check(problems);
                if (!problems.isEmpty()) {
                    check(concurrency, leaseExtension, maxAttempts, timeout, problems);
                    throw new ConfigurationException(problems, null);
                }
                built = exponential.build();
            }
            return new HandlerOptions(concurrency, leaseExtension, maxAttempts, built, timeout, nonRetryable);
        }
    }
}
