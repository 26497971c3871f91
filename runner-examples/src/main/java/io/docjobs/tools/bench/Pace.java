package io.docjobs.tools.bench;

/**
 * How fast one run completed jobs. A run that drained its backlog: all its jobs over all its time,
 * start-up included. A run its time cap cut off: its steady rate, the jobs completed between the
 * moment it had completed {@code settledAfter} and the cap, over that time. A cut-off run still
 * holds jobs it claimed but did not complete: docjobs its claimed-ahead buffer (up to workers +
 * prefetch), the limit a batch, the naive loop one per thread. Counted against the run's whole
 * time, that depth would weigh on the run with the deepest pipeline, the more so the fewer jobs
 * the cap allows (a tenth of a 50,000 backlog's run); the slope of completions over time does
 * not depend on it. Thread-safe.
 */
final class Pace {
    private final long start;
    private final long deadline;
    private final long settledAfter;
    private long settledAtNanos = -1;
    private long settledCount;
    private long completedByDeadline;

    /**
     * @param start        when the run started (System.nanoTime)
     * @param deadline     when its time cap ends (System.nanoTime)
     * @param settledAfter completions after which the run is in its steady state
     */
    Pace(long start, long deadline, long settledAfter) {
        this.start = start;
        this.deadline = deadline;
        this.settledAfter = settledAfter;
    }

    /** The run's completed jobs became {@code total} now. */
    void completed(long total) {
        completedAt(total, System.nanoTime());
    }

    synchronized void completedAt(long total, long nanos) {
        if (nanos > deadline || total <= completedByDeadline) {
            return;
        }
        completedByDeadline = total;
        if (settledAtNanos < 0 && total >= settledAfter) {
            settledAtNanos = nanos;
            settledCount = total;
        }
    }

    /**
     * Jobs per second of a run that completed {@code jobs} and ended at {@code end}; {@code cutOff}:
     * its time cap stopped it before it drained its backlog.
     */
    synchronized double perSecond(long jobs, long end, boolean cutOff) {
        if (!cutOff) {
            return jobs / Math.max(1e-9, (end - start) / 1e9);
        }
        if (settledAtNanos < 0 || settledAtNanos >= deadline) {
            return completedByDeadline / Math.max(1e-9, (deadline - start) / 1e9);
        }
        return (completedByDeadline - settledCount) / Math.max(1e-9, (deadline - settledAtNanos) / 1e9);
    }
}
