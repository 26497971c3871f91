package io.docjobs.daemon;

import com.mongodb.MongoException;
import io.docjobs.ConfigurationException;
import io.docjobs.JobQueue;
import io.docjobs.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.bson.Document;
import org.bson.types.ObjectId;

/**
 * A server that refuses retryable writes: Amazon DocumentDB before 8.0.2 answers error 301
 * "Retryable writes are not supported" to every write the driver sends as retryable. docjobs turns
 * retryable writes off by itself only for {@code *.docdb.amazonaws.com} hosts; reached through a
 * tunnel or an alias, the server refuses every enqueue and completion. This makes that a
 * configuration error naming the fix: {@code retryWrites=false} in the connection string.
 */
public final class RetryableWrites {
    /** The server error code of the refusal. */
    static final int REFUSED = 301;

    private RetryableWrites() {
    }

    /**
     * Writes once, changing nothing (completes a lease of an entry that does not exist), so that a
     * server refusing retryable writes is found before the supervisor starts.
     *
     * @throws ConfigurationException naming the fix if the server refuses it
     */
    static void check(JobQueue queue) {
        try {
            queue.done(new NoEntry(new ObjectId().toHexString(), UUID.randomUUID().toString()));
        } catch (RuntimeException e) {
            throw refused(e) ? explained(e) : e;
        }
    }

    /**
     * A lease of an entry that does not exist, so completing it deletes nothing. The fenced
     * operations read only its id, token and deadline; the rest is there to satisfy {@link Lease}.
     */
    private record NoEntry(String id, String token) implements Lease {
        @Override
        public String type() {
            return "docjobs.write-check";
        }

        @Override
        public String payload() {
            return "";
        }

        @Override
        public Document payloadDocument() {
            return new Document();
        }

        @Override
        public boolean hasDocumentPayload() {
            return false;
        }

        @Override
        public int attempt() {
            return 1;
        }

        @Override
        public int maxAttempts() {
            return 1;
        }

        @Override
        public String workerId() {
            return "docjobs-write-check";
        }

        @Override
        public Instant deadline() {
            return Instant.EPOCH;
        }

        @Override
        public Instant enqueuedAt() {
            return Instant.EPOCH;
        }

        @Override
        public Instant visibleSince() {
            return Instant.EPOCH;
        }

        @Override
        public Duration visibilityTimeout() {
            return Duration.ofSeconds(1);
        }

        @Override
        public int priority() {
            return 0;
        }

        @Override
        public String traceparent() {
            return null;
        }
    }

    /** {@code error} as the configuration error naming the fix if it is a refusal not yet explained, else itself. */
    public static Exception explain(Exception error) {
        return refused(error) && !(error instanceof ConfigurationException) ? explained(error) : error;
    }

    /** Whether {@code error}, or one of its causes, is the server refusing a retryable write. */
    static boolean refused(Throwable error) {
        for (Throwable cause = error; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof MongoException mongo && mongo.getCode() == REFUSED) {
                return true;
            }
            String message = String.valueOf(cause.getMessage());
            // The second is the driver's own wording when a standalone server refuses them.
            if (message.contains("Retryable writes are not supported") || message.contains("does not support retryable writes")) {
                return true;
            }
        }
        return false;
    }

    /** The configuration error for a refusal, with the server's words. */
    private static ConfigurationException explained(Throwable refusal) {
        String said = String.valueOf(refusal.getMessage());
        int full = said.indexOf(" The full response is");
        return new ConfigurationException("the database server refuses retryable writes (" + (full < 0 ? said
                : said.substring(0, full)) + "). Amazon DocumentDB does; docjobs turns them off by itself only for"
                + " *.docdb.amazonaws.com host names, not through a tunnel or an alias. Add retryWrites=false to the"
                + " connection string (database.connectionString, DOCJOBS_DATABASE_CONNECTION_STRING or its _FILE),"
                + " e.g. mongodb://user:password@localhost:27017/?tls=true&retryWrites=false: docjobs retries transient"
                + " errors itself", refusal);
    }
}
