package io.docjobs;

/**
 * Does the work of one job type. Register with {@link Supervisor.Builder#handle}.
 *
 * <p>Return normally and the job is done. Throw and it is retried after a backoff, or
 * dead-lettered when its attempts are used up or the exception is non-retryable (see
 * {@link NonRetryableException} and {@link HandlerOptions.Builder#nonRetryable}).
 *
 * <p>Delivery is at-least-once: the same job can reach a handler more than once (after a crash, or
 * when a lease expired while the handler was still working), so handlers must be idempotent. A
 * handler runs on a worker thread; it is interrupted when its lease is lost, its time-out passes or
 * the supervisor shuts down past its drain time-out, and should then stop promptly.
 */
@FunctionalInterface
public interface JobHandler {
    /**
     * Runs one attempt of a job.
     *
     * @param job the job: its payload, identity, attempt and lease
     * @throws Exception any failure: retried or dead-lettered as described above
     */
    void handle(JobContext job) throws Exception;
}
