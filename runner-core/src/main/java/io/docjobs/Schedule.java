package io.docjobs;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bson.Document;
import org.jspecify.annotations.Nullable;

// Over 300 lines: a record with a builder, like JobRequest, plus its two policies; the length is
// the Javadoc every public member carries.
/**
 * A recurring job: at each time of a cron expression or a fixed interval, one ordinary job of
 * {@code type} is enqueued, exactly once per time across every scheduler on the queue (see the
 * README's "Schedules"). Immutable; build with {@link #builder(String, String)}; the constructor
 * checks every value and reports all problems at once, each naming the schedule, the field and
 * the rule.
 *
 * @param id                 names the schedule: 1-100 letters, digits, '.', '_', '-' or ':'; unique per queue
 * @param type               the type of the jobs it enqueues
 * @param cron               a cron expression (Unix 5 fields; 6 fields Spring, seconds first; Quartz
 *                           with {@code ?} or 7 fields), or null when {@code interval} is set
 * @param interval           a fixed interval from 1 s to {@link #MAX_INTERVAL}, or null when
 *                           {@code cron} is set; exactly one of the two
 * @param zone               the time zone the cron expression is read in; default UTC. A local time
 *                           skipped by a daylight-saving change fires once, when the gap ends; a
 *                           repeated one fires once, the first time
 * @param payloadText        the jobs' payload as text, or null when {@code payloadDocument} is set
 * @param payloadDocument    the jobs' payload as a document, or null when {@code payloadText} is set
 * @param priority           the jobs' priority, higher first; default 0
 * @param visibilityTimeout  the jobs' visibility timeout, or null for the queue's
 * @param maxAttempts        the jobs' attempts allowed, or null for the queue's
 * @param jitter             each job becomes visible up to this much after its time (a fixed
 *                           offset per time, the same on every scheduler), to spread fleets; zero to
 *                           {@link #MAX_JITTER}; default zero
 * @param misfire            what happens to times missed by more than {@code misfireThreshold}
 *                           (nothing ran the scheduler); default {@link Misfire#skip()}
 * @param misfireThreshold   how late a time may be reached and still fire as usual; 1 s to
 *                           {@link #MAX_MISFIRE_THRESHOLD}; default {@link #DEFAULT_MISFIRE_THRESHOLD}
 * @param overlap            whether a time fires while the previous job of the schedule is
 *                           unfinished; default {@link Overlap#ALLOW}
 * @param paused             whether the schedule starts paused, when it is first defined; a pause or
 *                           resume later (API, CLI) is kept when the definition is applied again
 */
public record Schedule(
        String id,
        String type,
        @Nullable String cron,
        @Nullable Duration interval,
        ZoneId zone,
        @Nullable String payloadText,
        @Nullable Document payloadDocument,
        int priority,
        @Nullable Duration visibilityTimeout,
        @Nullable Integer maxAttempts,
        Duration jitter,
        Misfire misfire,
        Duration misfireThreshold,
        Overlap overlap,
        boolean paused) {

    /** The longest {@code interval}: 366 days. */
    public static final Duration MAX_INTERVAL = Duration.ofDays(366);
    /** The shortest {@code interval}: 1 second, the scheduler's resolution. */
    public static final Duration MIN_INTERVAL = Duration.ofSeconds(1);
    /** The longest {@code jitter}: 1 day. */
    public static final Duration MAX_JITTER = Duration.ofDays(1);
    /** The default {@code misfireThreshold}: 1 minute. */
    public static final Duration DEFAULT_MISFIRE_THRESHOLD = Duration.ofMinutes(1);
    /** The longest {@code misfireThreshold}: 1 day. */
    public static final Duration MAX_MISFIRE_THRESHOLD = Duration.ofDays(1);
    /** The most times {@link Misfire#catchUp(int)} fires after an outage. */
    public static final int MAX_CATCH_UP = 1_000;
    /** The longest {@code id}. */
    public static final int MAX_ID_LENGTH = 100;

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_ID_LENGTH + "}");

    /** Whether a time fires while the schedule's previous job is unfinished. */
    public enum Overlap {
        /** Fire every time, whatever became of the previous job. */
        ALLOW,
        /** Skip a time while the previous job is ready, delayed or leased (a dead one is finished). */
        SKIP_IF_RUNNING
    }

    /**
     * What happens to the times a schedule missed by more than its misfire threshold, e.g. while
     * no scheduler ran. Build with {@link #skip()}, {@link #fireOnce()} or {@link #catchUp(int)}.
     *
     * @param policy what to do
     * @param max    for {@link Policy#CATCH_UP}, the most missed times fired; 0 otherwise
     */
    public record Misfire(Policy policy, int max) {
        /** The kinds of misfire handling. */
        public enum Policy {
            /** Fire none of the missed times; go on with the next time after now. */
            SKIP,
            /** Fire the latest missed time once, now; go on with the next time after now. */
            FIRE_ONCE,
            /** Fire the latest {@code max} missed times, oldest first, each as its own job. */
            CATCH_UP
        }

        /**
         * Checks the policy and its maximum.
         *
         * @param policy what to do
         * @param max    1 to {@link #MAX_CATCH_UP} for {@link Policy#CATCH_UP}, 0 otherwise
         * @throws IllegalArgumentException naming the invalid value
         */
        public Misfire {
            if (policy == null) {
                throw new IllegalArgumentException("misfire policy was null but must be SKIP, FIRE_ONCE or CATCH_UP");
            }
            if (policy == Policy.CATCH_UP ? max < 1 || max > MAX_CATCH_UP : max != 0) {
                throw new IllegalArgumentException("misfire max was " + max + " but must be "
                        + (policy == Policy.CATCH_UP ? "between 1 and " + MAX_CATCH_UP + " for CATCH_UP" : "0 for " + policy));
            }
        }

        /** {@return skip every missed time (the default)} */
        public static Misfire skip() {
            return new Misfire(Policy.SKIP, 0);
        }

        /** {@return fire the latest missed time once} */
        public static Misfire fireOnce() {
            return new Misfire(Policy.FIRE_ONCE, 0);
        }

        /**
         * {@return fire the latest {@code max} missed times}
         *
         * @param max 1 to {@link #MAX_CATCH_UP}
         */
        public static Misfire catchUp(int max) {
            return new Misfire(Policy.CATCH_UP, max);
        }

        @Override
        public String toString() {
            return policy == Policy.CATCH_UP ? "CATCH_UP(" + max + ")" : policy.name();
        }
    }

    /**
     * Checks every value against the rules above; defaults a null {@code zone} to UTC, a null
     * {@code jitter} to zero, a null {@code misfire} to skip, a null {@code misfireThreshold} to
     * {@link #DEFAULT_MISFIRE_THRESHOLD} and a null {@code overlap} to allow.
     *
     * @param id                names the schedule
     * @param type              the jobs' type
     * @param cron              the cron expression, or null
     * @param interval          the fixed interval, or null
     * @param zone              the cron expression's time zone
     * @param payloadText       the text payload, or null
     * @param payloadDocument   the document payload, or null
     * @param priority          the jobs' priority
     * @param visibilityTimeout the jobs' visibility timeout, or null
     * @param maxAttempts       the jobs' attempts allowed, or null
     * @param jitter            the most a job's visibility is put off
     * @param misfire           the misfire policy
     * @param misfireThreshold  how late a time may still fire as usual
     * @param overlap           the overlap policy
     * @param paused            whether it starts paused
     * @throws ConfigurationException naming the schedule and every invalid field
     */
    public Schedule {
        zone = zone == null ? ZoneOffset.UTC : zone;
        jitter = jitter == null ? Duration.ZERO : jitter;
        misfire = misfire == null ? Misfire.skip() : misfire;
        misfireThreshold = misfireThreshold == null ? DEFAULT_MISFIRE_THRESHOLD : misfireThreshold;
        overlap = overlap == null ? Overlap.ALLOW : overlap;
        List<String> problems = new ArrayList<>();
        if (id == null || !ID.matcher(id).matches()) {
            problems.add("id was " + quote(id) + " but must be 1-" + MAX_ID_LENGTH
                    + " letters, digits, '.', '_', '-' or ':'");
        }
        if (type == null || type.isBlank() || type.length() > JobRequest.MAX_TYPE_LENGTH) {
            problems.add("type was " + quote(type) + " but must be a non-blank job type of at most "
                    + JobRequest.MAX_TYPE_LENGTH + " characters");
        }
        if ((cron == null) == (interval == null)) {
            problems.add("cron was " + quote(cron) + " and interval was " + interval
                    + " but exactly one of them must be set");
        } else if (cron != null) {
            String error = CronTimes.check(cron);
            if (error != null) {
                problems.add("cron was " + quote(cron) + " but must be " + CronTimes.DIALECTS + ": " + error);
            }
        } else if (interval.compareTo(MIN_INTERVAL) < 0 || interval.compareTo(MAX_INTERVAL) > 0) {
            problems.add("interval was " + interval + " but must be between " + MIN_INTERVAL + " and " + MAX_INTERVAL
                    + " (366 days)");
        }
        if (payloadText != null && payloadDocument != null) {
            problems.add("payload was given both as text and as a document; give exactly one");
        }
        if (visibilityTimeout != null) {
            JobRequest.checkVisibilityTimeout("visibilityTimeout", visibilityTimeout, problems);
        }
        if (maxAttempts != null && maxAttempts < 1) {
            problems.add("maxAttempts was " + maxAttempts + " but must be at least 1");
        }
        Bounds.zeroOrPositive("jitter", jitter, "none", MAX_JITTER, "", problems);
        Bounds.positive("misfireThreshold", misfireThreshold, MAX_MISFIRE_THRESHOLD, "", problems);
        if (problems.isEmpty() && misfireThreshold.compareTo(MIN_INTERVAL) < 0) {
            problems.add("misfireThreshold was " + misfireThreshold + " but must be at least " + MIN_INTERVAL);
        }
        if (!problems.isEmpty()) {
            String name = id == null || id.isBlank() ? "schedule" : "schedule \"" + id + "\"";
            throw new ConfigurationException(problems.stream().map(problem -> name + ": " + problem).toList(), null);
        }
        if (payloadText == null && payloadDocument == null) {
            payloadText = "";
        }
    }

    /**
     * {@return a builder for a schedule of {@code type} named {@code id}; set {@code cron} or {@code interval}}
     *
     * @param id   names the schedule
     * @param type the jobs' type
     */
    public static Builder builder(String id, String type) {
        return new Builder(id, type);
    }

    /**
     * The schedule's first time strictly after {@code after}. For an interval schedule that is
     * {@code after + interval}: intervals run on the instant line, not in a time zone.
     *
     * @param after an instant
     * @return the next time, or empty if the cron expression has none (a year field in the past)
     */
    public Optional<Instant> nextTimeAfter(Instant after) {
        Bounds.notNull(after, "after");
        if (interval != null) {
            return Optional.of(after.plus(interval));
        }
        return Optional.ofNullable(CronTimes.next(CronTimes.parse(cron), zone, after));
    }

    /** {@return the timing in words: the cron expression and zone, or the interval} */
    public String timing() {
        return cron != null ? "cron \"" + cron + "\" in " + zone : "every " + interval;
    }

    /** {@return a builder holding every value of this schedule} */
    public Builder toBuilder() {
        Builder builder = new Builder(id, type);
        builder.cron = cron;
        builder.interval = interval;
        builder.zone = zone;
        builder.payloadText = payloadText;
        builder.payloadDocument = payloadDocument;
        builder.priority = priority;
        builder.visibilityTimeout = visibilityTimeout;
        builder.maxAttempts = maxAttempts;
        builder.jitter = jitter;
        builder.misfire = misfire;
        builder.misfireThreshold = misfireThreshold;
        builder.overlap = overlap;
        builder.paused = paused;
        return builder;
    }

    private static String quote(@Nullable String value) {
        return value == null ? "null" : "\"" + value + "\"";
    }

    /** Builds a {@link Schedule}; {@link #build()} reports every problem at once. */
    public static final class Builder {
        private final String id;
        private final String type;
        private String cron;
        private Duration interval;
        private ZoneId zone = ZoneOffset.UTC;
        private String payloadText;
        private Document payloadDocument;
        private int priority;
        private Duration visibilityTimeout;
        private Integer maxAttempts;
        private Duration jitter = Duration.ZERO;
        private Misfire misfire = Misfire.skip();
        private Duration misfireThreshold = DEFAULT_MISFIRE_THRESHOLD;
        private Overlap overlap = Overlap.ALLOW;
        private boolean paused;
        private String zoneProblem;

        private Builder(String id, String type) {
            this.id = id;
            this.type = type;
        }

        /**
         * Fires at the times of a cron expression; replaces an interval set before.
         *
         * @param cron Unix (5 fields), Spring (6, seconds first) or Quartz ({@code ?}, or 7 fields)
         * @return this builder
         */
        public Builder cron(String cron) {
            this.cron = cron;
            this.interval = null;
            return this;
        }

        /**
         * Fires every {@code interval}, the first time one interval after the schedule is first
         * defined; replaces a cron expression set before.
         *
         * @param interval from {@link #MIN_INTERVAL} to {@link #MAX_INTERVAL}
         * @return this builder
         */
        public Builder interval(Duration interval) {
            this.interval = interval;
            this.cron = null;
            return this;
        }

        /**
         * The time zone the cron expression is read in; default UTC.
         *
         * @param zone a zone such as {@code Europe/Berlin}
         * @return this builder
         */
        public Builder zone(ZoneId zone) {
            this.zone = zone;
            this.zoneProblem = null;
            return this;
        }

        /**
         * The time zone by its id, as in configuration files; an unknown id is reported by
         * {@link #build()} with the other problems.
         *
         * @param zoneId a region id such as {@code Europe/Berlin}, or an offset such as {@code +02:00}
         * @return this builder
         */
        public Builder zone(String zoneId) {
            try {
                this.zone = ZoneId.of(Bounds.notNull(zoneId, "zoneId"));
                this.zoneProblem = null;
            } catch (java.time.DateTimeException e) {
                this.zoneProblem = "zone was \"" + zoneId + "\" but must be a time zone id such as Europe/Berlin or UTC ("
                        + e.getMessage() + ")";
            }
            return this;
        }

        /**
         * The jobs' payload as text; default "".
         *
         * @param text the payload
         * @return this builder
         */
        public Builder payload(String text) {
            this.payloadText = text;
            this.payloadDocument = null;
            return this;
        }

        /**
         * The jobs' payload as a document.
         *
         * @param document the payload
         * @return this builder
         */
        public Builder payload(Document document) {
            this.payloadDocument = document;
            this.payloadText = null;
            return this;
        }

        /**
         * The jobs' priority, higher first; default 0.
         *
         * @param priority any int
         * @return this builder
         */
        public Builder priority(int priority) {
            this.priority = priority;
            return this;
        }

        /**
         * The jobs' visibility timeout; default null, the queue's.
         *
         * @param visibilityTimeout positive, at most {@link JobRequest#MAX_VISIBILITY_TIMEOUT}, or null
         * @return this builder
         */
        public Builder visibilityTimeout(@Nullable Duration visibilityTimeout) {
            this.visibilityTimeout = visibilityTimeout;
            return this;
        }

        /**
         * The jobs' attempts allowed; default null, the queue's.
         *
         * @param maxAttempts at least 1, or null
         * @return this builder
         */
        public Builder maxAttempts(@Nullable Integer maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * The most each job's visibility is put off after its time; default zero.
         *
         * @param jitter zero to {@link #MAX_JITTER}
         * @return this builder
         */
        public Builder jitter(Duration jitter) {
            this.jitter = jitter;
            return this;
        }

        /**
         * What happens to missed times; default {@link Misfire#skip()}.
         *
         * @param misfire the policy
         * @return this builder
         */
        public Builder misfire(Misfire misfire) {
            this.misfire = misfire;
            return this;
        }

        /**
         * How late a time may be reached and still fire as usual; default {@link #DEFAULT_MISFIRE_THRESHOLD}.
         *
         * @param misfireThreshold 1 s to {@link #MAX_MISFIRE_THRESHOLD}
         * @return this builder
         */
        public Builder misfireThreshold(Duration misfireThreshold) {
            this.misfireThreshold = misfireThreshold;
            return this;
        }

        /**
         * Whether a time fires while the previous job is unfinished; default {@link Overlap#ALLOW}.
         *
         * @param overlap the policy
         * @return this builder
         */
        public Builder overlap(Overlap overlap) {
            this.overlap = overlap;
            return this;
        }

        /**
         * Whether the schedule starts paused when first defined; default false.
         *
         * @param paused true to start paused
         * @return this builder
         */
        public Builder paused(boolean paused) {
            this.paused = paused;
            return this;
        }

        /**
         * {@return the schedule}
         *
         * @throws ConfigurationException naming the schedule and every invalid field
         */
        public Schedule build() {
            if (zoneProblem != null) {
                List<String> problems = new ArrayList<>();
                problems.add(zoneProblem);
                try {
                    toSchedule();
                } catch (ConfigurationException e) {
                    String prefix = "schedule \"" + id + "\": ";
                    e.problems().forEach(problem -> problems.add(problem.startsWith(prefix)
                            ? problem.substring(prefix.length()) : problem));
                }
                String name = id == null || id.isBlank() ? "schedule" : "schedule \"" + id + "\"";
                throw new ConfigurationException(problems.stream().map(problem -> name + ": " + problem).toList(), null);
            }
            return toSchedule();
        }

        private Schedule toSchedule() {
            return new Schedule(id, type, cron, interval, zone, payloadText, payloadDocument, priority,
                    visibilityTimeout, maxAttempts, jitter, misfire, misfireThreshold, overlap, paused);
        }
    }
}
