package io.docjobs;

import org.jspecify.annotations.Nullable;

/**
 * Base of the unchecked exceptions docjobs throws for failures that are not the caller's bad
 * arguments. Expected outcomes such as losing a lease are return values, never exceptions.
 *
 * <p>Bad arguments, a null where none is allowed included, are {@link IllegalArgumentException}s
 * everywhere in docjobs, naming the argument, its value and the rule; invalid settings are one
 * {@link ConfigurationException} listing every problem.
 *
 * <p>A failure of a queue operation carries its context as fields as well as in the message: the
 * {@link #operation()}, the {@link #queue()} and, when it concerns one job, its {@link #jobId()},
 * {@link #jobType()} and {@link #attempt()}. Each is null (0 for the attempt) when it does not
 * apply or is not known.
 */
public class DocJobsException extends RuntimeException {
    private final Context context;

    /**
     * Where a failure happened, as far as it is known; null fields (attempt 0) for what does not
     * apply.
     *
     * @param operation the operation that failed, as named in the message, e.g. {@code done of 65f1…}
     * @param queue     the queue's name ({@code database.collection})
     * @param jobId     the entry id of the job concerned
     * @param jobType   the type of the job concerned
     * @param attempt   the job's attempt (from 1), or 0
     */
    public record Context(@Nullable String operation, @Nullable String queue, @Nullable String jobId,
            @Nullable String jobType, int attempt) {
        /** No context at all. */
        public static final Context NONE = new Context(null, null, null, null, 0);

        /**
         * {@return the context of an operation on a queue that concerns no one job}
         *
         * @param operation the operation, as the message names it
         * @param queue     the queue's name ({@code database.collection})
         */
        public static Context of(String operation, String queue) {
            return new Context(operation, queue, null, null, 0);
        }

        /**
         * {@return this context, about one job}
         *
         * @param id      the job's entry id
         * @param type    the job's type, or null if unknown
         * @param attempt the job's attempt, or 0 if unknown
         */
        public Context job(String id, @Nullable String type, int attempt) {
            return new Context(operation, queue, id, type, attempt);
        }
    }

    /** @param message what failed, and what to check */
    public DocJobsException(String message) {
        this(message, null, Context.NONE);
    }

    /**
     * A failure with no context beyond its message.
     *
     * @param message what failed, and what to check
     * @param cause   the underlying failure, or null
     */
    public DocJobsException(String message, @Nullable Throwable cause) {
        this(message, cause, Context.NONE);
    }

    /**
     * A failure of an operation.
     *
     * @param message what failed; names what {@code context} holds too
     * @param cause   the underlying failure, or null
     * @param context where it failed; null is taken as {@link Context#NONE}
     */
    public DocJobsException(String message, @Nullable Throwable cause, Context context) {
        super(message, cause);
        this.context = context == null ? Context.NONE : context;
    }

    /** {@return where the failure happened, as far as it is known; never null} */
    public Context context() {
        return context;
    }

    /** {@return the operation that failed, as named in the message; null if unknown} */
    public @Nullable String operation() {
        return context.operation();
    }

    /** {@return the name ({@code database.collection}) of the queue the operation ran on; null if unknown} */
    public @Nullable String queue() {
        return context.queue();
    }

    /** {@return the entry id of the job the failed operation concerned; null for none} */
    public @Nullable String jobId() {
        return context.jobId();
    }

    /** {@return the type of the job the failed operation concerned; null for none or unknown} */
    public @Nullable String jobType() {
        return context.jobType();
    }

    /** {@return the attempt (from 1) of the job the failed operation concerned; 0 for none or unknown} */
    public int attempt() {
        return context.attempt();
    }
}
