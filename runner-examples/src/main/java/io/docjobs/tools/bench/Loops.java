package io.docjobs.tools.bench;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import io.docjobs.JobConsumer;
import io.docjobs.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The loops docjobs is measured against, on entries in docjobs' schema: the naive queue (one
 * sorted findOneAndUpdate per job, then a delete), the peer-style loop (the cost structure of the
 * mainstream Java job runners on MongoDB) and the limit (docjobs' own claim and done calls with no
 * framework around them).
 */
final class Loops {
    private static final Bson ORDER = Sorts.orderBy(Sorts.descending("priority"), Sorts.ascending("visibleAt"));

    private Loops() {
    }

    /**
     * Result of a throughput run: jobs completed, the claim calls made, and the jobs per second
     * (see {@link Pace}: all jobs over all time for a run that drained its backlog, the steady rate
     * for one its time cap cut off).
     */
    record Run(long jobs, long claims, double perSecond) {
    }

    /** What most hand-rolled Mongo queues do: claim one entry with a sorted findOneAndUpdate, then delete it. */
    static Run naive(MongoCollection<Document> entries, int threads, long target, Duration limit) {
        return run(threads, target, limit, done -> {
            Date now = new Date();
            Document claimed = entries.findOneAndUpdate(
                    new Document("state", "ready").append("type", BenchDatabase.TYPE)
                            .append("visibleAt", new Document("$lte", now)),
                    new Document("$set", new Document("state", "leased")
                            .append("visibleAt", new Date(now.getTime() + 30_000))),
                    new FindOneAndUpdateOptions().sort(ORDER).projection(Projections.include("_id")));
            if (claimed == null) {
                return false;
            }
            entries.deleteOne(new Document("_id", claimed.get("_id")));
            done.incrementAndGet();
            return true;
        });
    }

    /**
     * The limit: docjobs' own claim and ack queries, reached through the public {@link JobConsumer}
     * (the queries themselves are package-private in {@code io.docjobs.mongo}), with the
     * supervisor's batch sizes and concurrency and nothing else: {@code workers + prefetch} claim
     * slots (the supervisor's most), one claim thread calling {@code claimBatch} once a full batch
     * of slots is free ({@code maxBatch}, or half the slots if fewer), and an ack thread completing
     * each claimed batch with one {@code doneAll} — at least as batched as the supervisor's claims
     * and its group commit of completions — with no handler wrapper, heartbeats, metrics,
     * time-outs or back-off. Everything docjobs does per job, this does too, as seldom, so docjobs
     * cannot be faster than it except by noise.
     */
    static Run limit(JobConsumer queue, int workers, int prefetch, int maxBatch, long target, Duration cap) {
        Set<String> types = Set.of(BenchDatabase.TYPE);
        // Claims wait for a full batch of free slots (or half the slots, if fewer), as the supervisor
        // refills its claimed-ahead jobs only once half of them started: every claim as large as the
        // supervisor's largest, so the limit pays the candidate read no more often than docjobs.
        int fullClaim = Math.max(1, Math.min(maxBatch, (workers + prefetch) / 2));
        return pipelined(workers + prefetch, fullClaim, workers, maxBatch, target, cap, n -> n == 1
                ? queue.claim(types, "limit").map(List::of).orElse(List.<Lease>of())
                : queue.claimBatch(Map.of(BenchDatabase.TYPE, n), "limit", n),
                true, leases -> queue.doneAll(leases).completed().size());
    }

    /**
     * The cost structure of the mainstream Java job runners on MongoDB: one poller reads up to the
     * free slots (at most {@code workers}) of ready entries in claim order, then takes each with an
     * {@code updateOne} by {@code _id} that checks the state and a version field (incrementing it);
     * {@code workers} threads delete what was taken, by {@code _id} and version.
     */
    static Run peerStyle(MongoCollection<Document> entries, int workers, long target, Duration cap) {
        return pipelined(workers, 1, workers, workers, target, cap, n -> {
            Date now = new Date();
            List<Document> taken = new ArrayList<>(n);
            List<Document> ready = entries.find(new Document("state", "ready").append("type", BenchDatabase.TYPE)
                    .append("visibleAt", new Document("$lte", now))).sort(ORDER).limit(n)
                    .projection(Projections.include("_id", "version")).into(new ArrayList<>());
            for (Document candidate : ready) {
                Object version = candidate.get("version");
                long next = version instanceof Number number ? number.longValue() + 1 : 1;
                Document filter = new Document("_id", candidate.get("_id")).append("state", "ready").append("version", version);
                Document update = new Document("$set", new Document("state", "leased").append("workerId", "peer")
                        .append("visibleAt", new Date(now.getTime() + 30_000)).append("version", next));
                if (entries.updateOne(filter, update).getModifiedCount() == 1) {
                    taken.add(new Document("_id", candidate.get("_id")).append("version", next));
                }
            }
            return taken;
        }, false, taken -> (int) entries.deleteOne(taken.get(0)).getDeletedCount());
    }

    /** Claims up to {@code n} entries (at least 1); empty when the queue has none claimable. */
    interface Claim<T> {
        List<T> claim(int n);
    }

    /** Completes claimed entries; how many were still ours. */
    interface Ack<T> {
        int ack(List<T> items);
    }

    /**
     * The supervisor's data flow and nothing else: {@code slots} claim slots; one claim thread that
     * waits for {@code minClaim} free slots, claims as many entries as slots are free (at most {@code maxBatch}),
     * and hands each (or, with {@code batchAcks}, the whole batch) to one of {@code ackThreads} ack
     * threads, which frees the slots. Runs until
     * {@code target} entries were claimed, the queue has no more, or {@code cap} is up; then waits
     * for the acks in flight.
     */
    static <T> Run pipelined(int slots, int minClaim, int ackThreads, int maxBatch, long target, Duration cap,
            Claim<T> claim, boolean batchAcks, Ack<T> ack) {
        Semaphore free = new Semaphore(slots);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        ExecutorService acks = Executors.newFixedThreadPool(ackThreads);
        long start = System.nanoTime();
        long deadline = start + cap.toNanos();
        Pace pace = new Pace(start, deadline, slots);
        long claimed = 0;
        long claims = 0;
        boolean cutOff = false;
        try {
            while (claimed < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !free.tryAcquire(minClaim, left, TimeUnit.NANOSECONDS)) {
                    cutOff = true;
                    break;
                }
                int n = minClaim;
                while (n < maxBatch && free.tryAcquire()) {
                    n++;
                }
                List<T> items = claim.claim(n);
                claims++;
                free.release(n - items.size());
                if (items.isEmpty()) {
                    break;
                }
                claimed += items.size();
                List<List<T>> tasks = batchAcks ? List.of(items) : items.stream().map(List::of).toList();
                for (List<T> task : tasks) {
                    acks.execute(() -> {
                        try {
                            pace.completed(done.addAndGet(ack.ack(task)));
                        } catch (RuntimeException e) {
                            failed.incrementAndGet();
                        } finally {
                            free.release(task.size());
                        }
                    });
                }
            }
            acks.shutdown();
            if (!acks.awaitTermination(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("acks still running 60 s after the claims stopped");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("benchmark loop interrupted", e);
        } finally {
            acks.shutdownNow();
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " acks failed");
        }
        return new Run(done.get(), claims, pace.perSecond(done.get(), System.nanoTime(), cutOff));
    }

    /** One step of a loop: returns false when the queue looked empty. */
    interface Step {
        boolean run(AtomicLong done);
    }

    /** Runs {@code step} on {@code threads} threads until {@code target} jobs are done, the queue is empty, or time is up. */
    static Run run(int threads, long target, Duration limit, Step step) {
        AtomicLong done = new AtomicLong();
        AtomicLong steps = new AtomicLong();
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        Pace pace = new Pace(start, deadline, threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                workers.add(pool.submit(() -> {
                    while (done.get() < target && System.nanoTime() < deadline) {
                        steps.incrementAndGet();
                        if (!step.run(done)) {
                            return;
                        }
                        pace.completed(done.get());
                    }
                }));
            }
            for (Future<?> worker : workers) {
                worker.get(limit.toMillis() + 60_000, TimeUnit.MILLISECONDS);
            }
        } catch (Exception e) {
            throw new IllegalStateException("benchmark loop failed: " + e, e);
        } finally {
            pool.shutdownNow();
        }
        long end = System.nanoTime();
        return new Run(done.get(), steps.get(), pace.perSecond(done.get(), end, done.get() < target && end >= deadline));
    }
}
