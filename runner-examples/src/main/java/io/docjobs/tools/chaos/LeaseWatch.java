package io.docjobs.tools.chaos;

import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Follows the lease deadline a long job's handler sees ({@code JobContext.deadline()}, database
 * time), polled while it works: every later deadline is a heartbeat's extension. Each extension
 * sets the deadline to the database's now plus the job's lease, so {@code new deadline - lease} is
 * when it happened, on the database's clock; how far that lies before the previous deadline is the
 * extension's slack. A negative slack means the lease had expired before it was extended: another
 * daemon could have claimed the job meanwhile. After the last extension, the time since it was seen
 * (on the monotonic clock; since the start if none was) tells whether the lease outlived the work:
 * longer than a lease means it expired first. No wall clock is involved, so skewed host clocks cannot distort either figure. Not
 * thread-safe: one per execution, on the handler's thread.
 */
final class LeaseWatch {
    private final Duration lease;
    private final LongSupplier nanos;
    private long lastExtensionNanos;
    private Instant deadline;
    private int extensions;
    private Duration minSlack;

    /** @param nanos the monotonic clock ({@code System::nanoTime}) */
    LeaseWatch(Instant firstDeadline, Duration lease, LongSupplier nanos) {
        this.deadline = firstDeadline;
        this.lease = lease;
        this.nanos = nanos;
        this.lastExtensionNanos = nanos.getAsLong();
    }

    /** Notes the deadline as the handler sees it now. */
    void observe(Instant current) {
        if (!current.isAfter(deadline)) {
            return;
        }
        Duration slack = Duration.between(current.minus(lease), deadline);
        if (minSlack == null || slack.compareTo(minSlack) < 0) {
            minSlack = slack;
        }
        extensions++;
        deadline = current;
        lastExtensionNanos = nanos.getAsLong();
    }

    /**
     * How long ago the last extension was seen, or the watch began if none was (the lease then had
     * at most one lease left). Seen up to one poll after it happened, so this is at most that much
     * shorter than the truth.
     */
    Duration sinceLastExtension() {
        return Duration.ofNanos(nanos.getAsLong() - lastExtensionNanos);
    }

    /** Heartbeat extensions seen so far. */
    int extensions() {
        return extensions;
    }

    /** The smallest slack of any extension; null if there was none. */
    Duration minSlack() {
        return minSlack;
    }
}
