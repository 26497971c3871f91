package io.docjobs.tools.chaos;

import com.mongodb.MongoException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;

/**
 * The run's progress as the driver sees it: entries in the queue (counted every tick), jobs
 * completed (enqueued minus still queued), and one line per second.
 */
final class Progress {
    private final QueueView view;
    private final Producer producer;
    private final FaultLog faults;
    private final Fleet fleet;
    private final int total;
    private final PrintWriter out;
    private final Instant started = Instant.now();
    private volatile long inQueue = -1;
    private volatile long completed;
    private volatile boolean reachable;
    private long completedAtLastLine;
    private Instant lastLine = started;

    Progress(QueueView view, Producer producer, FaultLog faults, Fleet fleet, int total, PrintWriter out) {
        this.view = view;
        this.producer = producer;
        this.faults = faults;
        this.fleet = fleet;
        this.total = total;
        this.out = out;
    }

    /** Counts the queue; while the database restarts the last count stands. */
    void update() {
        try {
            // Enqueued read before counting: a batch landing in between makes the estimate low, not high.
            long enqueued = producer.enqueued();
            inQueue = view.count();
            completed = Math.max(completed, enqueued - inQueue);
            reachable = true;
        } catch (MongoException e) {
            reachable = false;
        }
    }

    /** The jobs leased by the daemon named {@code name}; none while the database does not answer. */
    Set<String> leasedBy(String name) {
        try {
            return view.leasedBy(name);
        } catch (MongoException e) {
            return Set.of();
        }
    }

    /** Jobs completed: enqueued minus still in the queue (never decreasing). */
    long completed() {
        return completed;
    }

    /** The share of all jobs completed, 0 to 1. */
    double completedShare() {
        return (double) completed() / total;
    }

    boolean jobsRemain() {
        return !producer.finished() || inQueue != 0;
    }

    boolean allDone() {
        return producer.finished() && inQueue == 0 && reachable;
    }

    /** Prints a progress line if a second has passed since the last one (or {@code force}). */
    void print(boolean force) {
        Instant now = Instant.now();
        Duration sinceLine = Duration.between(lastLine, now);
        if (!force && sinceLine.toMillis() < 1000) {
            return;
        }
        long completed = completed();
        double rate = sinceLine.isZero() ? 0 : (completed - completedAtLastLine) * 1000.0 / sinceLine.toMillis();
        out.printf("progress %6.1fs  completed %,d of %,d  remaining %,d  in queue %s  %,.0f jobs/s  kills %d  stops %d"
                        + "  restarts %d  daemons %d%s%n",
                Duration.between(started, now).toMillis() / 1000.0, completed, total, total - completed,
                inQueue < 0 ? "?" : String.format("%,d", inQueue), rate, faults.kills().size(), faults.stops().size(),
                faults.restarts().size(), fleet.running(), reachable ? "" : "  (database not answering)");
        out.flush();
        completedAtLastLine = completed;
        lastLine = now;
    }
}
