package io.docjobs.mongo;

import com.mongodb.client.MongoClient;
import io.docjobs.JobConsumer;
import io.docjobs.JobQueue;
import io.docjobs.Lease;
import io.docjobs.QueueConfig;
import io.docjobs.internal.Engine;
import java.time.Duration;
import java.time.Instant;
import org.bson.Document;
import org.jspecify.annotations.Nullable;

/**
 * Internal: the one public type of {@code io.docjobs.mongo}, so that {@link JobQueue}'s factories
 * in the API package can open the MongoDB implementation; everything else here is
 * package-private. Not exported by the module and not part of the API: call
 * {@link JobQueue#connect} and {@link JobQueue#using} instead.
 */
public final class MongoQueues {
    private MongoQueues() {
    }

    /**
     * What {@link JobQueue#connect} does.
     *
     * @param config the queue's settings, connection string included
     * @return the queue, which owns its client
     */
    public static JobQueue connect(QueueConfig config) {
        return MongoJobQueue.connect(config);
    }

    /**
     * What {@link JobQueue#using} does.
     *
     * @param client the caller's client, which stays the caller's to close
     * @param config the queue's settings; its connection settings are ignored
     * @return the queue on {@code client}
     */
    public static JobQueue using(MongoClient client, QueueConfig config) {
        return MongoJobQueue.using(client, config);
    }

    /**
     * Where a supervisor on {@code queue} writes its registry document: the queue's registry when
     * {@code queue} is a queue of this package, else null (a consumer of another kind keeps no registry).
     *
     * @param queue the queue the supervisor claims from
     * @return the registry, or null
     */
    public static Engine.@Nullable Registry registry(JobConsumer queue) {
        return queue instanceof MongoJobQueue mongo ? mongo.registry() : null;
    }

    /**
     * A lease as the queue itself makes them, for {@code io.docjobs.testing.TestLeases}: one
     * implementation of {@link Lease}'s contract (payload views, equality by id and token) for
     * claimed and hand-built leases alike.
     *
     * @param payloadText the payload as text, or null when {@code payloadDocument} is set
     * @param payloadDocument the payload as a document, or null when {@code payloadText} is set
     * @return the lease; the other parameters are its fields as {@link Lease} names them
     */
    public static Lease lease(String id, String type, @Nullable String payloadText, @Nullable Document payloadDocument,
            int attempt, int maxAttempts, String token, @Nullable String workerId, Instant deadline,
            @Nullable Instant enqueuedAt, @Nullable Instant visibleSince, Duration visibilityTimeout, int priority,
            @Nullable String traceparent) {
        return new ClaimedLease(id, type, payloadText, payloadDocument, attempt, maxAttempts, token, workerId, deadline,
                enqueuedAt, visibleSince, visibilityTimeout, priority, traceparent);
    }
}
