package io.docjobs;

import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Range checks for configured durations. Each adds at most one sentence to {@code problems}
 * naming the setting, its value and the rule. An upper bound on every duration keeps the
 * nanosecond and millisecond arithmetic done with it far from {@code long} overflow.
 */
final class Bounds {
    private static final Duration ONE_MILLISECOND = Duration.ofMillis(1);
    private static final Duration ONE_DAY = Duration.ofDays(1);

    private Bounds() {
    }

    /**
     * {@code value}, or an {@link IllegalArgumentException} naming {@code name} if it is null: bad
     * arguments are {@code IllegalArgumentException}s throughout docjobs, nulls included.
     */
    static <T> T notNull(@Nullable T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " was null but must be given");
        }
        return value;
    }

    /** Requires {@code 0 < value <= max}; {@code hint} (may be empty) follows the "at most" rule. */
    static void positive(String name, Duration value, Duration max, String hint, List<String> problems) {
        check(name, value, false, "", false, max, hint, problems);
    }

    /** Requires {@code 1 ms <= value <= max}: for values handed to APIs that count in milliseconds. */
    static void positiveMillis(String name, Duration value, Duration max, String hint, List<String> problems) {
        check(name, value, false, "", true, max, hint, problems);
    }

    /** Requires {@code 0 <= value <= max}; {@code zeroMeans} (may be empty) says what zero does, e.g. "off". */
    static void zeroOrPositive(String name, Duration value, String zeroMeans, Duration max, String hint,
            List<String> problems) {
        check(name, value, true, zeroMeans, false, max, hint, problems);
    }

    private static void check(String name, Duration value, boolean zeroAllowed, String zeroMeans, boolean millis,
            Duration max, String hint, List<String> problems) {
        String zero = zeroAllowed ? "zero" + (zeroMeans.isEmpty() ? "" : " (" + zeroMeans + ")") + " or " : "";
        if (value == null) {
            problems.add(name + " was null but must be " + zero + "positive");
        } else if (value.isNegative() || value.isZero() && !zeroAllowed) {
            problems.add(name + " was " + value + " but must be " + zero + "positive");
        } else if (value.compareTo(max) > 0) {
            problems.add(name + " was " + value + " but must be at most " + max + inDays(max)
                    + (hint.isEmpty() ? "" : "; " + hint));
        } else if (millis && value.compareTo(ONE_MILLISECOND) < 0) {
            problems.add(name + " was " + value + " but must be at least 1 millisecond");
        }
    }

    /** " (7 days)" for whole days, which {@link Duration#toString()} shows as hours; else "". */
    private static String inDays(Duration max) {
        if (max.compareTo(ONE_DAY) < 0 || max.toSeconds() % ONE_DAY.toSeconds() != 0) {
            return "";
        }
        return max.toDays() == 1 ? " (1 day)" : " (" + max.toDays() + " days)";
    }
}
