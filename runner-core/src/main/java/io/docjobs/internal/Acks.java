package io.docjobs.internal;

import io.docjobs.JobConsumer;
import io.docjobs.Lease;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;

/**
 * Completions sent as a group commit: a worker whose job succeeded hands its lease in and waits
 * for the answer; if no completion is being sent, it sends every waiting one in one
 * {@link JobConsumer#doneAll}, otherwise the sender of the batch in flight sends it next. So a lone
 * completion costs one round trip as before and adds no delay, while completions that arrive during
 * a round trip share the next one. Each caller is told whether its own lease held.
 */
final class Acks {
    private final JobConsumer queue;
    private final int maxBatch;
    private final Object lock = new Object();
    private final Queue<Pending> waiting = new ArrayDeque<>();
    private boolean sending;

    Acks(JobConsumer queue, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch was " + maxBatch + " but must be at least 1");
        }
        this.queue = queue;
        this.maxBatch = maxBatch;
    }

    /**
     * Completes the job of {@code lease}, possibly together with others.
     *
     * @return whether the lease held, as {@link JobConsumer#done} answers
     * @throws RuntimeException what {@link JobConsumer#doneAll} threw for the batch this lease was in
     */
    boolean done(Lease lease) {
        Pending mine = new Pending(lease);
        boolean interrupted = false;
        try {
            synchronized (lock) {
                waiting.add(mine);
                // Another thread is sending: it may send ours too; if not, the first one it wakes sends next.
                while (sending && !mine.decided) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        interrupted = true; // the answer comes either way: wait for it, keep the flag
                    }
                }
                if (mine.decided) {
                    return mine.answer();
                }
                sending = true;
            }
            try {
                while (!decided(mine)) {
                    send(take());
                }
            } finally {
                synchronized (lock) {
                    sending = false;
                    lock.notifyAll();
                }
            }
            synchronized (lock) {
                return mine.answer();
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Completions handed in and not yet sent: for tests that stage a group commit. */
    int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    private boolean decided(Pending pending) {
        synchronized (lock) {
            return pending.decided;
        }
    }

    private List<Pending> take() {
        synchronized (lock) {
            List<Pending> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
            while (!waiting.isEmpty() && batch.size() < maxBatch) {
                batch.add(waiting.poll());
            }
            return batch;
        }
    }

    /** Sends one batch and gives every lease in it its answer, or the failure of the batch. */
    private void send(List<Pending> batch) {
        List<Lease> leases = new ArrayList<>(batch.size());
        batch.forEach(pending -> leases.add(pending.lease));
        Set<Lease> completed = Set.of();
        RuntimeException failure = new IllegalStateException("the completion of this job was not sent");
        try {
            completed = new HashSet<>(queue.doneAll(leases).completed());
            failure = null;
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            // Even when an Error passes through: no waiting worker may be left without an answer.
            synchronized (lock) {
                for (Pending pending : batch) {
                    pending.decide(completed.contains(pending.lease), failure);
                }
                lock.notifyAll();
            }
        }
    }

    /** One lease waiting for its answer; guarded by {@code lock}. */
    private static final class Pending {
        final Lease lease;
        boolean decided;
        boolean held;
        RuntimeException failure;

        Pending(Lease lease) {
            this.lease = lease;
        }

        void decide(boolean held, RuntimeException failure) {
            this.held = held;
            this.failure = failure;
            this.decided = true;
        }

        boolean answer() {
            if (failure != null) {
                throw failure;
            }
            return held;
        }
    }
}
