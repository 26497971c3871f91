package io.docjobs.internal;

import java.time.Duration;

/**
 * Duration arithmetic in nanoseconds for the engine's loops. Saturating rather than overflowing:
 * a configured or computed duration far beyond any wait must still compare and subtract sanely.
 */
final class Nanos {
    private Nanos() {
    }

    /** A duration in nanoseconds, saturating at {@link Long#MAX_VALUE} instead of overflowing. */
    static long of(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return duration.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /** {@code a - b}, saturating at {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE}. */
    static long saturatedSub(long a, long b) {
        long result = a - b;
        // Overflow only if the operands have different signs and the result's sign differs from a's.
        return ((a ^ b) & (a ^ result)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : result;
    }

    /** {@code a + b}, saturating at {@link Long#MIN_VALUE} and {@link Long#MAX_VALUE}. */
    static long saturatedAdd(long a, long b) {
        long result = a + b;
        // Overflow only if both operands have the sign the result lacks.
        return ((a ^ result) & (b ^ result)) < 0 ? (a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE) : result;
    }
}
