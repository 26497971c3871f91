package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Many workers claiming at once: every entry is claimed exactly once and none is lost. The clock
 * stands still, so no lease expires and any second claim of an entry would be a bug.
 *
 * <p>The producer keeps the backlog near {@value #BACKLOG} entries: the embedded server sorts every
 * matching entry on every claim (it has no query planner), so a 10,000-entry backlog would measure
 * its sort, not our claim.
 */
abstract class ConcurrentClaimContract extends JobQueueContract {
    /** Fewer in mutation runs ({@code -Ddocjobs.contract.jobs}), where every surviving mutant runs this again. */
    static final int JOBS = Integer.getInteger("docjobs.contract.jobs", 10_000);
    static final int WORKERS = 8;
    static final int BACKLOG = 300;

    @Test
    @Tag("slow") // a minute on the embedded server: left out of mutation runs (README, "Tests")
    void eightWorkersClaimTenThousandEntriesEachExactlyOnce() throws Exception {
        runWorkers(worker -> queue.claim(EMAIL, worker).map(List::of).orElse(List.of()));
    }

    @Test
    void eightWorkersClaimingBatchesClaimEachEntryExactlyOnce() throws Exception {
        runWorkers(worker -> queue.claimBatch(EMAIL, worker, 16));
    }

    private void runWorkers(Function<String, List<Lease>> claim) throws Exception {
        Set<String> enqueued = ConcurrentHashMap.newKeySet();
        Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();
        AtomicInteger completed = new AtomicInteger();
        AtomicInteger lostLeases = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
        try {
            List<Future<?>> tasks = new ArrayList<>();
            tasks.add(pool.submit(() -> {
                int produced = 0;
                while (produced < JOBS) {
                    if (produced - completed.get() < BACKLOG) {
                        List<JobRequest> chunk = new ArrayList<>();
                        for (int i = 0; i < 100 && produced + i < JOBS; i++) {
                            chunk.add(JobRequest.builder("email").payload("job-" + (produced + i)).build());
                        }
                        queue.enqueueAll(chunk).forEach(result -> enqueued.add(result.id()));
                        produced += chunk.size();
                    } else {
                        // The backlog is full: leave the CPU to the workers (two cores run this).
                        LockSupport.parkNanos(200_000);
                    }
                }
                return null;
            }));
            for (int w = 0; w < WORKERS; w++) {
                String worker = "worker-" + w;
                tasks.add(pool.submit(() -> {
                    while (completed.get() < JOBS) {
                        for (Lease lease : claim.apply(worker)) {
                            claims.computeIfAbsent(lease.id(), id -> new AtomicInteger()).incrementAndGet();
                            if (queue.done(lease)) {
                                completed.incrementAndGet();
                            } else {
                                lostLeases.incrementAndGet();
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> task : tasks) {
                task.get(4, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(enqueued).hasSize(JOBS);
        assertThat(claims.keySet()).as("every enqueued entry was claimed").isEqualTo(enqueued);
        assertThat(claims.values()).as("no entry was claimed twice").allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
        assertThat(lostLeases.get()).isZero();
        assertThat(completed.get()).isEqualTo(JOBS);
        assertThat(queue.stats().byType()).as("nothing left behind").isEmpty();
        assertThat(queue.claim(EMAIL, "late").isPresent()).isFalse();
    }
}
