package io.docjobs.internal;

import io.docjobs.JobConsumer;
import io.docjobs.Lease;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Completions sent as a group commit, without making workers wait: a worker whose job succeeded
 * hands its lease in ({@link #offer}) with what to do with the answer. If no completion is being
 * sent, its thread becomes the sender ({@link #sendAll}): it sends every waiting one in one
 * {@link JobConsumer#doneAll}, and goes on sending what was handed in meanwhile until none is left;
 * otherwise it returns at once and the sending thread sends this one next. So a lone completion
 * costs one round trip and adds no delay, completions that arrive during a round trip share the
 * next one (under load the sender lingers a moment for half a batch, unless the workers say no
 * other completion is coming soon), and handlers never wait for a round trip before the next job
 * starts. Each lease's answer says whether its own lease held.
 */
final class Acks {
    private static final Logger log = LoggerFactory.getLogger(Acks.class);

    /** What becomes of one completion: told once, on the thread that sent it. */
    @FunctionalInterface
    interface Answer {
        /**
         * @param held    whether the lease held (as {@link JobConsumer#done} answers); false with a failure
         * @param failure what {@link JobConsumer#doneAll} threw for the batch, or null
         */
        void decided(boolean held, RuntimeException failure);
    }

    /** How long a sender under load waits for more completions before its next round trip, by default. */
    static final long LINGER_NANOS = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1);

    private final JobConsumer queue;
    private final int maxBatch;
    private final long lingerNanos;
    private final Object lock = new Object();
    private final Queue<Pending> waiting = new ArrayDeque<>();
    private boolean sending;
    /** The size of the last batch taken: more than one means completions are arriving faster than round trips. */
    private int lastBatchSize;
    /** The last completion handed in said no other was coming soon: a sender does not linger. */
    private boolean burstOver;

    Acks(JobConsumer queue, int maxBatch) {
        this(queue, maxBatch, LINGER_NANOS);
    }

    /** @param lingerNanos how long a sender under load waits for half a batch (tests stage it with a long one) */
    Acks(JobConsumer queue, int maxBatch, long lingerNanos) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch was " + maxBatch + " but must be at least 1");
        }
        this.queue = queue;
        this.maxBatch = maxBatch;
        this.lingerNanos = lingerNanos;
    }

    /**
     * Hands in a completion; true if the caller became the sender and must call {@link #sendAll()}.
     *
     * @param lastForNow no other completion is coming soon (no handler runs or waits): a sender
     *                   lingering for more sends at once
     */
    boolean offer(Lease lease, Answer answer, boolean lastForNow) {
        synchronized (lock) {
            waiting.add(new Pending(lease, answer));
            burstOver = lastForNow;
            if (sending) {
                if (waiting.size() == maxBatch / 2 || lastForNow) {
                    lock.notifyAll(); // a lingering sender has half a batch, or all there is
                }
                return false; // the sending thread takes it with its next batch
            }
            sending = true;
            return true;
        }
    }

    /** The sender's loop: sends what waits, batch by batch, until nothing does. */
    void sendAll() {
        try {
            for (List<Pending> batch = take(); !batch.isEmpty(); batch = take()) {
                send(batch);
            }
        } catch (RuntimeException | Error e) {
            synchronized (lock) {
                sending = false; // the next completion handed in sends what is left
            }
            throw e;
        }
    }

    /** Completions handed in and not yet sent: for tests that stage a group commit. */
    int waiting() {
        synchronized (lock) {
            return waiting.size();
        }
    }

    /**
     * The next batch; none when nothing waits, and then this thread is no longer the sender. Under
     * load (the last batch sent held more than one), it first lingers up to {@code lingerNanos}
     * for half a batch, unless the last completion handed in said no other is coming soon: fewer, larger round trips, which is what a database
     * working at its limit needs, for a slot that comes back a millisecond later (no handler waits
     * for this).
     */
    private List<Pending> take() {
        synchronized (lock) {
            if (lastBatchSize > 1) {
                long until = System.nanoTime() + lingerNanos;
                for (long left = lingerNanos; left > 0 && waiting.size() < maxBatch / 2 && !burstOver;
                        left = until - System.nanoTime()) {
                    try {
                        lock.wait(left / 1_000_000, (int) (left % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt(); // a job's interrupt: keep it, and send now
                        break;
                    }
                }
            }
            List<Pending> batch = new ArrayList<>(Math.min(waiting.size(), maxBatch));
            while (!waiting.isEmpty() && batch.size() < maxBatch) {
                batch.add(waiting.poll());
            }
            if (batch.isEmpty()) {
                sending = false;
            } else {
                lastBatchSize = batch.size();
            }
            return batch;
        }
    }

    /** Sends one batch and tells every lease in it its answer, or the failure of the batch. */
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
            // Even when an Error passes through: every lease of the batch gets its answer (which frees its slot).
            for (Pending pending : batch) {
                try {
                    pending.answer.decided(failure == null && completed.contains(pending.lease), failure);
                } catch (RuntimeException e) {
                    // One answer that fails must not keep the others from theirs.
                    log.error("the answer to the completion of {} failed", pending.lease, e);
                }
            }
        }
    }

    /** One lease waiting to be sent, with what to do with its answer. */
    private record Pending(Lease lease, Answer answer) {
    }
}
