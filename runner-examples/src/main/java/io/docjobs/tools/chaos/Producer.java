package io.docjobs.tools.chaos;

import io.docjobs.EnqueueResult;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enqueues the run's jobs in batches ({@code enqueueAll}), keeping the READY backlog small rather
 * than enqueueing everything at once: an entry whose lease expired is claimed after every entry that
 * became visible before it, so a big backlog would add queueing time to the redelivery delay that
 * has nothing to do with leases (and the embedded server scans and sorts the ready entries on every
 * claim).
 *
 * <p>Each job's payload is {@code {"seq": n}}, n from 0, with its kind ({@link JobKinds}); the ids
 * the queue returned are the run's enqueued set, each with its kind. A batch that fails is sent again with the same sequence numbers (its ids are
 * unknown: if some of it was inserted after all, the analysis reports those entries).
 */
final class Producer {
    private static final Logger log = LoggerFactory.getLogger(Producer.class);

    /**
     * High, so no job is dead-lettered by the chaos: every kill, pause or restart costs an attempt.
     * Poison jobs get {@link JobKinds#POISON_MAX_ATTEMPTS}.
     */
    static final int MAX_ATTEMPTS = 1000;
    private static final int BATCH = 250;

    private final JobQueue queue;
    private final LongSupplier backlog;
    private final int total;
    private final int backlogTarget;
    private final Duration visibilityTimeout;
    private final JobKinds kinds;
    private final Map<String, JobKinds.Job> ids = new ConcurrentHashMap<>();
    private final AtomicInteger failedBatches = new AtomicInteger();
    private final ReentrantLock databaseAccess = new ReentrantLock();
    private volatile int nextSeq;

    /**
     * @param backlog       how many READY entries the queue holds now
     * @param backlogTarget enqueue only while fewer entries than this are READY
     */
    Producer(JobQueue queue, LongSupplier backlog, int total, int backlogTarget, Duration visibilityTimeout,
            JobKinds kinds) {
        this.queue = queue;
        this.kinds = kinds;
        this.backlog = backlog;
        this.total = total;
        this.backlogTarget = backlogTarget;
        this.visibilityTimeout = visibilityTimeout;
    }

    /** Enqueues one batch if the backlog is below target; called repeatedly by a scheduler. */
    void step() {
        databaseAccess.lock();
        try {
            if (nextSeq >= total) {
                return;
            }
            long room = backlogTarget - backlog.getAsLong();
            int count = (int) Math.min(Math.min(room, BATCH), total - nextSeq);
            if (count <= 0) {
                return;
            }
            List<JobRequest> batch = new ArrayList<>(count);
            List<JobKinds.Job> batchKinds = new ArrayList<>(count);
            for (int seq = nextSeq; seq < nextSeq + count; seq++) {
                JobKinds.Job job = kinds.of(seq);
                batchKinds.add(job);
                batch.add(JobRequest.builder(job.type()).payload(job.payload(seq))
                        .visibilityTimeout(visibilityTimeout).maxAttempts(job.maxAttempts()).build());
            }
            List<EnqueueResult> results = queue.enqueueAll(batch);
            int rejected = 0;
            for (int i = 0; i < results.size(); i++) {
                EnqueueResult result = results.get(i);
                if (result.isFailed()) {
                    rejected++;
                } else {
                    ids.put(result.id(), batchKinds.get(i));
                }
            }
            nextSeq += count;
            if (rejected > 0) {
                // Not retried: the database refused these requests themselves, and would again.
                failedBatches.incrementAndGet();
                log.warn("{} of {} jobs from seq {} were rejected by the database and are not in this run",
                        rejected, count, nextSeq - count);
            }
        } catch (RuntimeException e) {
            failedBatches.incrementAndGet();
            log.warn("enqueueing jobs from seq {} failed, trying again: {}", nextSeq, e.toString());
        } finally {
            databaseAccess.unlock();
        }
    }

    /**
     * Enqueues one more job of the run, with {@code payload} (the partition's probe, kind
     * {@link JobKinds.Kind#PROBE}); its id joins the enqueued set. Returns the id, or empty if the enqueue failed (try again later).
     */
    Optional<String> enqueueOne(Document payload) {
        databaseAccess.lock();
        try {
            EnqueueResult result = queue.enqueue(JobRequest.builder(ChaosHandler.TYPE).payload(payload)
                    .visibilityTimeout(visibilityTimeout).maxAttempts(MAX_ATTEMPTS).build());
            if (result.isFailed()) {
                return Optional.empty();
            }
            ids.put(result.id(), JobKinds.Job.PROBE);
            return Optional.of(result.id());
        } catch (RuntimeException e) {
            log.warn("enqueueing a probe job failed, trying again later: {}", e.toString());
            return Optional.empty();
        } finally {
            databaseAccess.unlock();
        }
    }

    /** Runs {@code action} (the database restart) while no batch is on its way. */
    <E extends Exception> void pausedDuring(Action<E> action) throws E {
        databaseAccess.lock();
        try {
            action.run();
        } finally {
            databaseAccess.unlock();
        }
    }

    /** An action that may throw. */
    @FunctionalInterface
    interface Action<E extends Exception> {
        void run() throws E;
    }

    boolean finished() {
        return nextSeq >= total;
    }

    int enqueued() {
        return ids.size();
    }

    /** The ids of every job enqueued so far. */
    Set<String> ids() {
        return Set.copyOf(ids.keySet());
    }

    /** Every job enqueued so far, by id, with its kind. */
    Map<String, JobKinds.Job> jobs() {
        return Map.copyOf(ids);
    }

    int failedBatches() {
        return failedBatches.get();
    }
}
