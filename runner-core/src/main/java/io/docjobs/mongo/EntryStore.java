package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LEASE_TOKEN;

import com.mongodb.MongoServerException;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Projections;
import io.docjobs.Lease;
import io.docjobs.QueueConfig;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.conversions.Bson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every part of a {@link MongoJobQueue} shares: the entry collection with the read and write
 * concerns the lease protocol needs, the retrying {@link OperationRunner}, database time, the entry
 * schema and call tokens. One per queue; thread-safe.
 */
final class EntryStore {
    /**
     * The logger of every part: operators configure logging by the facade's name, which predates
     * the split into parts.
     */
    static final Logger LOG = LoggerFactory.getLogger(MongoJobQueue.class);

    private static final Bson ONLY_ID = Projections.include(ID);

    /** The server's code for a value an operator cannot work on, such as a push onto a field that is no array. */
    private static final int BAD_VALUE = 2;

    /** Appended to the queue's collection name for its schedules' collection. */
    static final String SCHEDULES_SUFFIX = "_schedules";
    /** Appended to the queue's collection name for its audit log's collection (see {@link AuditLog}). */
    static final String AUDIT_SUFFIX = "_audit";

    final MongoCollection<Document> entries;
    /** The database of {@link #entries}, for the commands that are no collection's (index planning). */
    final MongoDatabase database;
    final MongoCollection<RawBsonDocument> rawEntries;
    /** The queue's schedules, in {@code <collection>_schedules} with the same concerns (see {@link ScheduleFirer}). */
    final MongoCollection<Document> schedules;
    /** The supervisor registry, in {@code <collection>_supervisors} (see {@link SupervisorRegistry}). */
    final MongoCollection<Document> supervisors;
    /** The audit log of admin operations, in {@code <collection>_audit} with the same concerns. */
    final MongoCollection<Document> audit;
    final QueueConfig config;
    final ServerClock serverClock;
    final OperationRunner runner;
    final String name;
    final EntrySchema schema;
    private final SecureRandom random = new SecureRandom();

    EntryStore(MongoClient client, QueueConfig config) {
        this.config = config;
        MongoDatabase database = client.getDatabase(config.database());
        MongoCollection<Document> collection = database.getCollection(config.collection())
                // Reads here are part of write protocols (read-backs after claims, retry checks): a
                // lagging secondary would strand or misreport leases.
                .withReadPreference(ReadPreference.primary());
        if (collection.getWriteConcern().getWObject() == null) {
            // An acknowledged claim or enqueue must survive a failover; w:1 writes can be rolled back.
            collection = collection.withWriteConcern(WriteConcern.MAJORITY);
        }
        this.entries = collection;
        this.database = database;
        this.schedules = database.getCollection(config.collection() + SCHEDULES_SUFFIX)
                .withReadPreference(ReadPreference.primary()).withWriteConcern(collection.getWriteConcern());
        this.supervisors = database.getCollection(config.collection() + SupervisorRegistry.SUFFIX)
                .withReadPreference(ReadPreference.primary()).withWriteConcern(collection.getWriteConcern());
        this.audit = database.getCollection(config.collection() + AUDIT_SUFFIX)
                .withReadPreference(ReadPreference.primary()).withWriteConcern(collection.getWriteConcern());
        this.rawEntries = entries.withDocumentClass(RawBsonDocument.class);
        this.name = config.database() + "." + config.collection();
        this.serverClock = new ServerClock(config.clock(), client.getDatabase("admin"), config.serverClockSync());
        this.runner = new OperationRunner(config, name);
        this.schema = new EntrySchema(config.defaultVisibilityTimeout(), config.defaultMaxAttempts());
    }

    /** Database time in BSON's precision, so a time written and read back compares equal. */
    Instant now() {
        return serverClock.now().truncatedTo(ChronoUnit.MILLIS);
    }

    /** A token no other call makes: lets a retry after a lost reply recognise its own write. */
    String newToken() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** DocumentDB uses a sparse index only for queries that say {@code $exists}. */
    static Bson activeKey(String key) {
        return new Document(ACTIVE_DEDUP_KEY, new Document("$eq", key).append("$exists", true));
    }

    /**
     * Applies {@code update} to the one entry {@code fence} (an {@code _id}-first filter) matches;
     * whether it matched. A {@code findOneAndUpdate} returning only the id rather than an
     * {@code updateOne}: the same single round trip on MongoDB, but the embedded server finds it by
     * its {@code _id} index, where an {@code updateOne} with more conditions than the id scans.
     */
    boolean updateFenced(Bson fence, Bson update) {
        return entries.findOneAndUpdate(fence, update, new FindOneAndUpdateOptions().projection(ONLY_ID)) != null;
    }

    /**
     * {@link #updateFenced} for an update made by {@link Entries#recordError}. An entry whose error
     * history another producer wrote as something other than an array makes the server refuse the
     * push (BadValue): the write is then sent again with the history replaced by {@code error}, so a
     * malformed history can never keep a job from being released or dead-lettered.
     */
    boolean updateFencedRecordingError(Bson fence, Document update, Document error) {
        try {
            return updateFenced(fence, update);
        } catch (MongoServerException e) {
            if (e.getCode() != BAD_VALUE) {
                throw e;
            }
            Object id = fence instanceof Document document ? Entries.idText(document.get(ID)) : fence;
            LOG.warn("entry {} in {}: its error history is no array, so the server refused to add to it (error {}); replacing"
                    + " the history with this error", id, name, e.getCode());
            return updateFenced(fence, Entries.replacingErrors(update, error));
        }
    }

    /** The fence of every lease write: the entry still carries this lease's token. */
    static Bson fenced(Lease lease) {
        return new Document(ID, Entries.objectId(lease.id())).append(LEASE_TOKEN, lease.token());
    }
}
