package io.docjobs.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/** Holds submitted handler runs until the test runs them, on the test's thread. */
final class ManualExecutor implements Executor {
    private final List<Runnable> pending = new ArrayList<>();

    @Override
    public synchronized void execute(Runnable command) {
        pending.add(command);
    }

    synchronized int pending() {
        return pending.size();
    }

    /** Runs the oldest submitted run, if any, on the caller's thread; false if none was waiting. */
    boolean runOne() {
        Runnable next;
        synchronized (this) {
            if (pending.isEmpty()) {
                return false;
            }
            next = pending.remove(0);
        }
        next.run();
        return true;
    }

    /** Runs everything submitted so far, in order. */
    void runAll() {
        List<Runnable> batch;
        synchronized (this) {
            batch = new ArrayList<>(pending);
            pending.clear();
        }
        batch.forEach(Runnable::run);
    }
}
