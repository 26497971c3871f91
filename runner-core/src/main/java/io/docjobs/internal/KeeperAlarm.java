package io.docjobs.internal;

import java.time.Duration;
import java.time.Instant;

/**
 * When the lease keeper looks at the jobs in flight next, and the signal that makes it look
 * sooner. A job that starts or gets its handler slot wakes the keeper only if something of it is
 * due before that look; with a buffer of jobs claimed ahead, waking it for each job would cost a
 * thread switch and a pass over every job in flight per job, for nothing, since the new job's
 * lease and time-out run out after those of the jobs before it.
 */
final class KeeperAlarm {
    /** The keeper is looking now or has not planned yet: any job wakes it (again). */
    private static final long ANY = Long.MAX_VALUE;

    private final Signal signal;
    private final Ticker ticker;
    /** Ticker time of the keeper's next planned look, or {@link #ANY}. */
    private volatile long nextLookNanos = ANY;
    /**
     * The database time the keeper last read, and the ticker time then: lease deadlines are in
     * database time, and a worker must not read the database's clock itself (that may mean a round
     * trip, or a wait on an outage).
     */
    private volatile DatabaseTime lastSeen;

    private record DatabaseTime(Instant at, long tickerNanos) {
    }

    KeeperAlarm(Signal signal, Ticker ticker) {
        this.signal = signal;
        this.ticker = ticker;
    }

    /** The keeper read the database time {@code now}. */
    void sawDatabaseTime(Instant now) {
        lastSeen = new DatabaseTime(now, ticker.nanos());
    }

    /** The keeper: it is about to look (a job that starts meanwhile wakes it once more, which is safe). */
    void looking() {
        nextLookNanos = ANY;
    }

    /** The keeper: it looks next in {@code waitNanos}. */
    void nextLookIn(long waitNanos) {
        nextLookNanos = Nanos.saturatedAdd(ticker.nanos(), waitNanos);
    }

    /** A job began to hold a lease, or got its handler slot (its time-out starts): wakes the keeper if it is due sooner. */
    void watch(RunningJob job) {
        long nextLook = nextLookNanos;
        DatabaseTime seen = lastSeen;
        if (nextLook == ANY || seen == null) {
            signal.signal();
            return;
        }
        long due = Nanos.saturatedAdd(seen.tickerNanos(), Nanos.of(Duration.between(seen.at(), LeaseKeeper.extendAt(job))));
        Duration timeout = job.registration().options().timeout();
        if (timeout != null && job.isDispatched()) {
            due = Math.min(due, Nanos.saturatedAdd(job.startedNanos(), Nanos.of(timeout)));
        }
        if (due < nextLook) {
            signal.signal();
        }
    }
}
