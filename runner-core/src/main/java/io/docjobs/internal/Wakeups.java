package io.docjobs.internal;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What wakes idle pollers: new work (a local enqueue, a change-stream insert) and new capacity (a
 * job gave its slot back). A poller snapshots both counters before it polls and then waits only
 * for what could change its result: after finding no free slot, capacity; after draining the
 * queue, work (and capacity too if type limits held it back). A wake-up sent while it polled is
 * not lost, and a wake-up that cannot help does not make it poll again.
 */
final class Wakeups {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long work;
    private long capacity;
    private boolean closed;

    /** The counters at one moment. */
    record Seen(long work, long capacity) {
    }

    Seen seen() {
        lock.lock();
        try {
            return new Seen(work, capacity);
        } finally {
            lock.unlock();
        }
    }

    void work() {
        lock.lock();
        try {
            work++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void capacity() {
        lock.lock();
        try {
            capacity++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiter whatever it waits for, now and from now on: shutdown. */
    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until work (if {@code onWork}) or capacity (if {@code onCapacity}) changed since
     * {@code seen}, or {@code nanos} passed.
     */
    void await(Seen seen, boolean onWork, boolean onCapacity, long nanos) throws InterruptedException {
        lock.lock();
        try {
            long left = nanos;
            while (left > 0 && !closed && !(onWork && work != seen.work())
                    && !(onCapacity && capacity != seen.capacity())) {
                left = changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }
}
