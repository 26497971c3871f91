package io.docjobs.tools.bench;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The two plain-driver loops docjobs is measured against, on entries in docjobs' schema: the
 * naive queue (one sorted findOneAndUpdate per job, then a delete) and the limit (exactly
 * docjobs' batch-claim and done queries, with no framework around them).
 */
final class Loops {
    private static final Bson ORDER = Sorts.orderBy(Sorts.descending("priority"), Sorts.ascending("visibleAt"));
    private static final SecureRandom RANDOM = new SecureRandom();

    private Loops() {
    }

    /** Result of a throughput run: jobs completed and the time it took. */
    record Run(long jobs, long nanos) {
        double perSecond() {
            return jobs / Math.max(1e-9, nanos / 1e9);
        }
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
     * docjobs' own queries without docjobs: read up to {@code batch} candidate ids in claim order,
     * lease them with one updateMany under a fresh token, read the winners back, delete each.
     */
    static Run limit(MongoCollection<Document> entries, int threads, int batch, long target, Duration limit) {
        return run(threads, target, limit, done -> {
            Date now = new Date();
            Document claimable = new Document("state", new Document("$in", List.of("ready", "leased")))
                    .append("type", new Document("$in", List.of(BenchDatabase.TYPE)))
                    .append("visibleAt", new Document("$lte", now));
            List<Object> ids = new ArrayList<>();
            entries.find(claimable).sort(ORDER).limit(batch).projection(Projections.include("_id", "visibilityMs", "visibleAt"))
                    .forEach(candidate -> ids.add(candidate.get("_id")));
            if (ids.isEmpty()) {
                return false;
            }
            String token = token();
            Document filter = new Document(claimable).append("_id", new Document("$in", ids));
            entries.updateMany(filter, new Document("$set", new Document("state", "leased").append("leaseToken", token)
                    .append("workerId", "limit").append("visibleAt", new Date(now.getTime() + 30_000))
                    .append("claimedAt", now)).append("$inc", new Document("attempts", 1)));
            for (Document won : entries.find(new Document("_id", new Document("$in", ids)).append("leaseToken", token))) {
                if (entries.deleteOne(new Document("_id", won.get("_id")).append("leaseToken", token)).getDeletedCount() == 1) {
                    done.incrementAndGet();
                }
            }
            return true;
        });
    }

    private static String token() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** One step of a loop: returns false when the queue looked empty. */
    interface Step {
        boolean run(AtomicLong done);
    }

    /** Runs {@code step} on {@code threads} threads until {@code target} jobs are done, the queue is empty, or time is up. */
    static Run run(int threads, long target, Duration limit, Step step) {
        AtomicLong done = new AtomicLong();
        long start = System.nanoTime();
        long deadline = start + limit.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                workers.add(pool.submit(() -> {
                    while (done.get() < target && System.nanoTime() < deadline) {
                        if (!step.run(done)) {
                            return;
                        }
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
        return new Run(done.get(), System.nanoTime() - start);
    }
}
