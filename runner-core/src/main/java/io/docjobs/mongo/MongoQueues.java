package io.docjobs.mongo;

import com.mongodb.client.MongoClient;
import io.docjobs.JobQueue;
import io.docjobs.QueueConfig;

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
}
