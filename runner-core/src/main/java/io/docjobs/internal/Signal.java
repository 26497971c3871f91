package io.docjobs.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A wake-up for background loops that also sleep on a timer: a generation counter bumped by
 * {@link #signal()}. A loop reads {@link #generation()} before it looks for work, then waits in
 * {@link #awaitChange}; a signal sent in between is not lost.
 */
final class Signal {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long generation;

    long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes everything waiting in {@link #awaitChange}. */
    void signal() {
        lock.lock();
        try {
            generation++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits until a signal after {@code seenGeneration}, or until {@code nanos} have passed. */
    void awaitChange(long seenGeneration, long nanos) throws InterruptedException {
        lock.lock();
        try {
            long left = nanos;
            while (generation == seenGeneration && left > 0) {
                left = changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }
}
