package io.docjobs.daemon;

import io.docjobs.JobRequest;
import java.time.Duration;
import picocli.CommandLine;

/**
 * Parses the command line's durations: a whole number with a unit ({@code 500ms}, {@code 30s},
 * {@code 5m}, {@code 1h}, {@code 7d}) or ISO-8601 ({@code PT30S}). It tells apart a value that is
 * not a duration, a negative one, and one that is too large; picocli puts the option's name in
 * front ({@code Invalid value for option '--delay': ...}).
 *
 * <p>This base class accepts 0 or more, up to what a {@link Duration} holds; the nested
 * subclasses add the bounds of particular options.
 */
public class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    static final String FORMS = "a whole number with a unit (ms, s, m, h, d) such as 500ms, 30s, 5m, 1h or 7d,"
            + " or ISO-8601 such as PT30S";

    private final boolean zeroAllowed;
    private final Duration max;
    private final String maxHint;

    public DurationConverter() {
        this(true, null, null);
    }

    DurationConverter(boolean zeroAllowed, Duration max, String maxHint) {
        this.zeroAllowed = zeroAllowed;
        this.max = max;
        this.maxHint = maxHint;
    }

    @Override
    public Duration convert(String value) {
        String text = value.strip();
        Duration duration = parse(text);
        if (duration == null && text.startsWith("-")) {
            // "-5s": a duration with a minus sign; say that the sign is the problem, not the form.
            Duration magnitude = parse(text.substring(1));
            if (magnitude != null) {
                duration = magnitude.negated();
            }
        }
        if (duration == null) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: write " + FORMS);
        }
        if (duration.isNegative()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is negative but must be "
                    + (zeroAllowed ? "≥ 0" : "> 0"));
        }
        if (duration.isZero() && !zeroAllowed) {
            throw new CommandLine.TypeConversionException("'" + value + "' is zero but must be > 0, e.g. 30s");
        }
        if (max != null && duration.compareTo(max) > 0) {
            throw new CommandLine.TypeConversionException("'" + value + "' is too large: at most "
                    + ConfigLoader.format(max) + (maxHint == null ? "" : " (" + maxHint + ")"));
        }
        return duration;
    }

    private Duration parse(String text) {
        try {
            return ConfigLoader.duration(text);
        } catch (IllegalArgumentException e) {
            // The form was right but a number overflowed.
            throw new CommandLine.TypeConversionException(e.getMessage()
                    + (max == null ? "" : ": at most " + ConfigLoader.format(max)));
        }
    }

    /** {@code enqueue --delay}: 0 or more, at most {@link JobRequest#MAX_DELAY}. */
    public static final class Delay extends DurationConverter {
        public Delay() {
            super(true, JobRequest.MAX_DELAY, "about 100 years");
        }
    }

    /** A lease ({@code --visibility-timeout}): more than 0, at most {@link JobRequest#MAX_VISIBILITY_TIMEOUT}. */
    public static final class Lease extends DurationConverter {
        public Lease() {
            super(false, JobRequest.MAX_VISIBILITY_TIMEOUT, "extended while the job runs, so jobs can run longer");
        }
    }

    /** An age such as {@code dead purge --older-than}: 0 or more, at most {@link JobRequest#MAX_DELAY}. */
    public static final class Age extends DurationConverter {
        public Age() {
            super(true, JobRequest.MAX_DELAY, "about 100 years");
        }
    }

    /** A positive duration with no bound of its own (the chaos run's and the benchmark's settings). */
    public static final class Positive extends DurationConverter {
        public Positive() {
            super(false, null, null);
        }
    }
}
