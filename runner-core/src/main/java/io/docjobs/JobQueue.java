package io.docjobs;

import com.mongodb.client.MongoClient;
import io.docjobs.mongo.MongoQueues;

/**
 * A durable job queue in one MongoDB / Amazon DocumentDB collection, with at-least-once delivery
 * and fenced leases: the union of its three roles, {@link JobProducer} (enqueue),
 * {@link JobConsumer} (the lease protocol workers use) and {@link JobAdmin} (counts, inspection,
 * dead letters). Connect once per process and hand each part of the application only the role it
 * needs.
 *
 * <p>All times are database time: the local {@link QueueConfig#clock()} corrected by an offset to
 * the server's clock, so workers on hosts with skewed clocks agree on deadlines.
 *
 * <p>Thread-safe. Transient database errors are retried per {@link QueueConfig}; when they persist
 * a {@link DatabaseUnavailableException} is thrown. Invalid arguments throw
 * {@link IllegalArgumentException} naming the argument, the value and the rule.
 */
public interface JobQueue extends JobProducer, JobConsumer, JobAdmin, AutoCloseable {

    /**
     * Connects with {@code config.connectionString()}, checks the server version, aligns to the
     * server clock and creates the indexes. The queue owns the client and closes it in {@link #close()}.
     *
     * @param config the connection and queue settings
     * @return a ready queue; close it when done
     * @throws ConfigurationException      for a malformed connection string, a bad CA file, wrong
     *                                     credentials or a server older than MongoDB 4.2
     * @throws DatabaseUnavailableException if no server answered within the operation timeout
     */
    static JobQueue connect(QueueConfig config) {
        return MongoQueues.connect(config);
    }

    /**
     * A queue on an existing client, which stays the caller's to close. The connection settings
     * in {@code config} (connection string, CA file, operation timeout) are ignored: the client's
     * own apply, so give it bounded server-selection and socket timeouts. The rest of
     * {@code config} applies.
     *
     * @param client a client the caller keeps and closes
     * @param config the queue settings
     * @return a ready queue; closing it leaves the client open
     */
    static JobQueue using(MongoClient client, QueueConfig config) {
        return MongoQueues.using(client, config);
    }

    /**
     * {@return the queue's recurring jobs, kept in the collection {@code <collection>_schedules}}
     * Defining and administering them needs no running supervisor; firing them is what a
     * {@link Supervisor} with schedules does. The default, for queues that keep no schedules, throws
     * {@link UnsupportedOperationException}.
     */
    default Schedules schedules() {
        throw new UnsupportedOperationException("queue " + name() + " keeps no schedules");
    }

    /** Creates the indexes if missing; idempotent, and already done by {@link #connect}. */
    void ensureIndexes();

    /** Releases the client if this queue created it. */
    @Override
    void close();
}
