package io.docjobs.examples.handlers;

import io.docjobs.JobContext;
import io.docjobs.JobHandler;
import io.docjobs.JobHandlerProvider;
import io.docjobs.NonRetryableException;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.bson.Document;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long job: renders a report page by page, logging progress every 10 %, and stops promptly when
 * the supervisor cancels it.
 *
 * <p>Payload: {@code {"pages": N, "msPerPage": M}}, 1 ≤ N ≤ {@value #MAX_PAGES} and
 * 0 ≤ M ≤ {@value #MAX_MS_PER_PAGE}; each page is simulated work of M ms.
 *
 * <p>Leases: the handler never calls {@link JobContext#extendLease}. While it runs, the
 * supervisor's lease keeper extends the lease (its heartbeat) once a third of it has elapsed, so a
 * job may run far longer than its visibility timeout as long as this process is alive; if the
 * process dies the heartbeats stop, the lease expires and another worker takes the job over. Call
 * {@code extendLease} yourself only before one step that may outlast the whole lease.
 *
 * <p>Cancellation: when the lease is lost, the time-out passes or shutdown gives up waiting, the
 * supervisor discards the result and interrupts the thread. The handler checks
 * {@link JobContext#isCancelled()} before every page and wakes from its work on interrupt, so it
 * stops within a page, throwing {@link CancellationException} or {@link InterruptedException}.
 * Rendering again on redelivery is harmless: it overwrites the same report.
 */
public final class RenderReportHandler implements JobHandler {
    /** The message type this handler serves. */
    public static final String TYPE = "example.report.render";
    /** Most pages one report may have. */
    public static final int MAX_PAGES = 100_000;
    /** Longest simulated work per page. */
    public static final int MAX_MS_PER_PAGE = 60_000;

    private static final Logger log = LoggerFactory.getLogger(RenderReportHandler.class);

    private final Set<String> rendered = ConcurrentHashMap.newKeySet();

    /** How many distinct jobs rendered their report to the end. */
    public int renderedCount() {
        return rendered.size();
    }

    @Override
    public void handle(JobContext job) throws InterruptedException {
        Document payload = job.payloadDocument();
        int pages = intField(job, payload, "pages", 1, MAX_PAGES);
        int msPerPage = intField(job, payload, "msPerPage", 0, MAX_MS_PER_PAGE);
        log.info("rendering report {}: {} pages", job.id(), pages);
        for (int page = 1; page <= pages; page++) {
            if (job.isCancelled()) {
                throw new CancellationException("report " + job.id() + " cancelled after " + (page - 1) + " of "
                        + pages + " pages (lease lost, timed out or shutting down)");
            }
            work(job, msPerPage, page, pages);
            // every 10 % rather than every page, so a long report does not flood the log
            if (page == pages || page * 10 / pages > (page - 1) * 10 / pages) {
                log.info("report {}: page {} of {} ({} %)", job.id(), page, pages, page * 100 / pages);
            }
        }
        rendered.add(job.id());
    }

    /** Simulated work of one page: parks until {@code ms} have passed, waking early on interrupt. */
    private static void work(JobContext job, int ms, int page, int pages) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        for (long left = end - System.nanoTime(); ; left = end - System.nanoTime()) {
            // parkNanos may return early (spuriously or on interrupt), hence the loop and the check
            if (Thread.interrupted()) {
                throw new InterruptedException("report " + job.id() + " interrupted on page " + page + " of " + pages);
            }
            if (left <= 0) {
                return;
            }
            LockSupport.parkNanos(left);
        }
    }

    private static int intField(JobContext job, Document payload, String field, int min, int max) {
        Object value = payload.get(field);
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() < min
                || ((Number) value).longValue() > max) {
            throw new NonRetryableException(TYPE + " job " + job.id() + ": payload field \"" + field + "\" was "
                    + (value == null ? "missing" : value) + " but must be a whole number from " + min + " to " + max);
        }
        return ((Number) value).intValue();
    }

    /** Registers {@link RenderReportHandler} with the daemon for type {@value #TYPE}. */
    public static final class Provider implements JobHandlerProvider {
        @Override
        public String type() {
            return TYPE;
        }

        @Override
        public JobHandler handler() {
            return new RenderReportHandler();
        }
    }
}
