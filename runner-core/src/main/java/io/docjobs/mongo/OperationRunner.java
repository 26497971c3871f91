package io.docjobs.mongo;

import com.mongodb.MongoException;
import com.mongodb.MongoInterruptedException;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.DocJobsException;
import io.docjobs.Lease;
import io.docjobs.QueueConfig;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs database operations with bounded retries of transient errors (resilience4j-retry,
 * exponential backoff with jitter) and turns driver exceptions into docjobs exceptions that say
 * which operation failed on which queue.
 */
final class OperationRunner {
    private static final Logger log = LoggerFactory.getLogger(OperationRunner.class);

    /**
     * A test seam for transient faults without a network proxy: {@link #beforeTry} may throw a
     * transient error as if the request never reached the server, {@link #afterTry} as if the body
     * was applied but its reply was lost. Both see every try of every operation run here.
     */
    interface Faults {
        Faults NONE = new Faults() {
            @Override
            public void beforeTry(String operation, int attempt) {
            }

            @Override
            public void afterTry(String operation, int attempt) {
            }
        };

        void beforeTry(String operation, int attempt);

        void afterTry(String operation, int attempt);
    }

    private final Retry retry;
    private final String queueName;
    private volatile boolean closed;
    private volatile Faults faults = Faults.NONE;

    OperationRunner(QueueConfig config, String queueName) {
        this.queueName = queueName;
        RetryConfig retryConfig = RetryConfig.custom()
                .maxAttempts(config.retryAttempts())
                .intervalFunction(IntervalFunction.ofExponentialRandomBackoff(
                        config.retryInitialBackoff(), 2.0, 0.5, config.retryMaxBackoff()))
                .retryOnException(TransientErrors::isTransient)
                .failAfterMaxAttempts(false)
                .build();
        this.retry = Retry.of("docjobs-" + queueName, retryConfig);
        retry.getEventPublisher().onRetry(event -> log.debug("retrying {} on {} after transient error (try {}): {}",
                event.getName(), queueName, event.getNumberOfRetryAttempts(), describe(event.getLastThrowable())));
    }

    /**
     * Runs {@code body} ({@code operation} names it in messages). The body receives the try
     * number (1 for the first) so that an operation whose first try may have been applied before
     * the connection broke can recognise its own effect on a later try.
     */
    <T> T run(String operation, IntFunction<T> body) {
        return run(operation, DocJobsException.Context.of(operation, queueName), body);
    }

    /**
     * As {@link #run(String, IntFunction)}, for a write whose reply the caller does not look at (a
     * clean-up, a release that may find nothing): no result to get wrong.
     */
    void runVoid(String operation, IntConsumer body) {
        run(operation, attempt -> {
            body.accept(attempt);
            return null;
        });
    }

    /** As {@link #run(String, IntFunction)}, for an operation on the job of {@code lease}. */
    <T> T run(String operation, Lease lease, IntFunction<T> body) {
        return run(operation, DocJobsException.Context.of(operation, queueName).job(lease.id(), lease.type(),
                lease.attempt()), body);
    }

    /** As {@link #run(String, IntFunction)}, for an operation on entry {@code jobId}. */
    <T> T run(String operation, String jobId, IntFunction<T> body) {
        return run(operation, DocJobsException.Context.of(operation, queueName).job(jobId, null, 0), body);
    }

    private <T> T run(String operation, DocJobsException.Context context, IntFunction<T> body) {
        if (closed) {
            throw new IllegalStateException(operation + " on queue " + queueName + " is not possible: the queue is closed");
        }
        int[] tries = {0};
        try {
            return retry.executeSupplier(() -> {
                int attempt = ++tries[0];
                Faults injected = faults;
                injected.beforeTry(operation, attempt);
                T result = body.apply(attempt);
                injected.afterTry(operation, attempt);
                return result;
            });
        } catch (MongoInterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DocJobsException(operation + " on queue " + queueName + " was interrupted", e, context);
        } catch (MongoException e) {
            if (TransientErrors.isTransient(e)) {
                throw new DatabaseUnavailableException(operation + " on queue " + queueName + " failed after " + tries[0]
                        + (tries[0] == 1 ? " try" : " tries") + " with transient database errors: " + describe(e), e,
                        context);
            }
            throw new DocJobsException(operation + " on queue " + queueName + " failed: " + describe(e), e, context);
        }
    }

    void close() {
        closed = true;
    }

    /** Tests only: injects faults into the tries of every later operation ({@link Faults#NONE} to stop). */
    void faults(Faults faults) {
        this.faults = java.util.Objects.requireNonNull(faults, "faults");
    }

    static String describe(Throwable error) {
        if (error == null) {
            return "unknown error";
        }
        String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        if (message.length() > 500) {
            message = message.substring(0, 500) + "…";
        }
        return error.getClass().getSimpleName() + ": " + message;
    }
}
