package io.docjobs;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How long a failed job waits before its next attempt, by the number of the attempt that failed.
 * Set per job type with {@link HandlerOptions.Builder#backoff(Backoff)}; the default is
 * {@code Backoff.exponential().build()}: from 1 s, doubling, ±50 % jitter, at most 5 minutes.
 *
 * <p>Any implementation may be given (a lambda will do); it is called on a worker thread, from
 * several at once, and must be quick and thread-safe. Whatever it returns is kept between zero and
 * {@link #MAX_DELAY}, so a custom backoff cannot park a job beyond what an operator would expect.
 */
@FunctionalInterface
public interface Backoff {
    /** The default first delay of {@link #exponential()}: 1 s. */
    Duration DEFAULT_INITIAL = Duration.ofSeconds(1);
    /** The default growth per attempt of {@link #exponential()}: doubling. */
    double DEFAULT_MULTIPLIER = 2.0;
    /** The default jitter of {@link #exponential()}: each delay drawn from ±50 % around its value. */
    double DEFAULT_JITTER = 0.5;
    /** The default cap of {@link #exponential()}: 5 minutes. */
    Duration DEFAULT_MAX = Duration.ofMinutes(5);
    /**
     * The longest delay before a retry: 1 day; a job failing for longer belongs in the dead letters,
     * to be requeued once fixed. Also the largest initial, maximum or fixed delay the factories accept.
     */
    Duration MAX_DELAY = Duration.ofDays(1);

    /**
     * The wait before the next try. A null or negative result means no wait; one above
     * {@link #MAX_DELAY} waits {@link #MAX_DELAY}.
     *
     * @param attempt the attempt that failed, 1 for the first
     * @return the delay before attempt {@code attempt + 1} becomes visible
     */
    Duration delay(int attempt);

    /** {@return a builder of exponential backoff with jitter, starting from the defaults; every setter is optional} */
    static ExponentialBuilder exponential() {
        return new ExponentialBuilder();
    }

    /**
     * The same wait before every retry.
     *
     * @param delay from zero (retry at once) to {@link #MAX_DELAY}
     * @return a backoff that always answers {@code delay}
     * @throws ConfigurationException if {@code delay} is null or out of range
     */
    static Backoff fixed(Duration delay) {
        List<String> problems = new ArrayList<>();
        Bounds.zeroOrPositive("backoff delay", delay, "retry at once", MAX_DELAY, "", problems);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems, null);
        }
        return new FixedBackoff(delay);
    }

    /**
     * Builds an exponential backoff: attempt n waits {@code initial × multiplier^(n-1)}, drawn at
     * random from ±{@code jitter} of that so a fleet of failing jobs does not retry in step, and at
     * most {@code max}. Each setter names its value, so two durations cannot be swapped unnoticed.
     */
    final class ExponentialBuilder {
        private Duration initial = DEFAULT_INITIAL;
        private double multiplier = DEFAULT_MULTIPLIER;
        private double jitter = DEFAULT_JITTER;
        private Duration max = DEFAULT_MAX;

        private ExponentialBuilder() {
        }

        /**
         * The wait after the first failed attempt, before jitter; from 1 ms to {@link #MAX_DELAY}, default 1 s.
         *
         * @param initial the first delay
         * @return this builder
         */
        public ExponentialBuilder initial(Duration initial) {
            this.initial = initial;
            return this;
        }

        /**
         * The growth per attempt; at least 1 (1 keeps the delay constant), default 2.
         *
         * @param multiplier the factor from one delay to the next
         * @return this builder
         */
        public ExponentialBuilder multiplier(double multiplier) {
            this.multiplier = multiplier;
            return this;
        }

        /**
         * The random spread, as a fraction of the delay: 0.5 draws each delay from 50 % to 150 % of
         * its value; from 0 (none) to 1, default 0.5.
         *
         * @param jitter the spread as a fraction
         * @return this builder
         */
        public ExponentialBuilder jitter(double jitter) {
            this.jitter = jitter;
            return this;
        }

        /**
         * The cap on every delay, jitter included; from {@code initial} to {@link #MAX_DELAY}, default 5 min.
         *
         * @param max the longest delay
         * @return this builder
         */
        public ExponentialBuilder max(Duration max) {
            this.max = max;
            return this;
        }

        /**
         * {@return an immutable, thread-safe backoff with the values set}
         *
         * @throws ConfigurationException naming every invalid value
         */
        public Backoff build() {
            List<String> problems = new ArrayList<>();
            check(problems);
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems, null);
            }
            return new ExponentialBackoff(initial, multiplier, jitter, max);
        }

        /** Adds a sentence per invalid value to {@code problems}, so a caller can report them with its own. */
        void check(List<String> problems) {
            int before = problems.size();
            Bounds.positiveMillis("backoff initial", initial, MAX_DELAY, "", problems);
            Bounds.positiveMillis("backoff max", max, MAX_DELAY, "", problems);
            if (problems.size() == before && max.compareTo(initial) < 0) {
                problems.add("backoff max was " + max + " but must be at least backoff initial (" + initial + ")");
            }
            if (!(multiplier >= 1 && multiplier < Double.POSITIVE_INFINITY)) {
                problems.add("backoff multiplier was " + multiplier + " but must be at least 1 (1 keeps the delay constant)");
            }
            if (!(jitter >= 0 && jitter <= 1)) {
                problems.add("backoff jitter was " + jitter + " but must be between 0 and 1");
            }
        }

        /** An independent builder with the same values: later changes to this one do not reach it. */
        ExponentialBuilder copy() {
            return new ExponentialBuilder().initial(initial).multiplier(multiplier).jitter(jitter).max(max);
        }
    }
}
