package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.exists;
import static com.mongodb.client.model.Filters.in;
import static com.mongodb.client.model.Filters.lt;
import static com.mongodb.client.model.Filters.or;
import static io.docjobs.mongo.Entries.ACTIVE_DEDUP_KEY;
import static io.docjobs.mongo.Entries.ATTEMPTS;
import static io.docjobs.mongo.Entries.CLAIMED_AT;
import static io.docjobs.mongo.Entries.DEAD;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.DEDUP_KEY;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.LAST_ERROR;
import static io.docjobs.mongo.Entries.LEASED;
import static io.docjobs.mongo.Entries.LEASE_TOKEN;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.RELEASED_TOKEN;
import static io.docjobs.mongo.Entries.REQUEUE_TOKEN;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;
import static io.docjobs.mongo.Entries.WORKER_ID;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoClientSettings;
import com.mongodb.MongoException;
import com.mongodb.MongoIncompatibleDriverException;
import com.mongodb.MongoSecurityException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.MongoWriteException;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.WriteModel;
import com.mongodb.client.result.UpdateResult;
import io.docjobs.ConfigurationException;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.DocJobsException;
import io.docjobs.EnqueueResult;
import io.docjobs.Extension;
import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import io.docjobs.MalformedEntryException;
import io.docjobs.QueueConfig;
import io.docjobs.QueueStats;
import io.docjobs.ReleaseResult;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.Codec;
import org.bson.conversions.Bson;
import org.bson.types.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link JobQueue} on a MongoDB / DocumentDB collection. Obtain it through
 * {@link JobQueue#connect} or {@link JobQueue#using}; this class is public only so those factories
 * can reach it.
 */
public final class MongoJobQueue implements JobQueue {
    private static final Logger log = LoggerFactory.getLogger(MongoJobQueue.class);

    /** Wire version 8 is MongoDB 4.2, the oldest server driver 5.x talks to. */
    static final int MIN_WIRE_VERSION = 8;
    static final int MAX_PAGE = 1_000;
    static final int MAX_BATCH = 1_000;
    /** Candidates one single claim reads: enough that a few workers racing for the head rarely all miss. */
    static final int CLAIM_CANDIDATES = 4;
    /** Candidate reads per claim: bounds the work a claim does under heavy contention. */
    static final int CLAIM_ROUNDS = 3;
    /**
     * Further candidate reads a claim may make after reads that found malformed entries, so good
     * entries behind a few of them are still claimed by the same call; bounded, so a flood of them
     * cannot hold one call for long (the next call goes on).
     */
    static final int QUARANTINE_ROUNDS = 8;
    static final String CLAIM_INDEX = "docjobs_claim";
    static final String DEDUP_INDEX = "docjobs_dedup";
    static final String DEAD_INDEX = "docjobs_dead";

    private static final Bson CLAIM_ORDER = Sorts.orderBy(Sorts.descending(PRIORITY), Sorts.ascending(VISIBLE_AT));
    private static final Codec<Document> DOCUMENT_CODEC = MongoClientSettings.getDefaultCodecRegistry().get(Document.class);

    private final MongoClient ownedClient;
    private final MongoCollection<Document> entries;
    private final MongoCollection<RawBsonDocument> rawEntries;
    private final QueueConfig config;
    private final ServerClock serverClock;
    private final OperationRunner runner;
    private final String name;
    private final MongoDatabase adminDatabase;
    private final SecureRandom random = new SecureRandom();
    private final EntrySchema schema;
    private final AtomicLong quarantined = new AtomicLong();
    private final List<java.util.function.Consumer<Set<String>>> enqueueListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private InsertWatcher watcher;

    private MongoJobQueue(MongoClient client, boolean owned, QueueConfig config) {
        this.ownedClient = owned ? client : null;
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
        this.rawEntries = entries.withDocumentClass(RawBsonDocument.class);
        this.name = config.database() + "." + config.collection();
        this.adminDatabase = client.getDatabase("admin");
        this.serverClock = new ServerClock(config.clock(), client.getDatabase("admin"), config.serverClockSync());
        this.runner = new OperationRunner(config, name);
        this.schema = new EntrySchema(config.defaultVisibilityTimeout(), config.defaultMaxAttempts());
    }

    /** See {@link JobQueue#connect}. */
    public static MongoJobQueue connect(QueueConfig config) {
        Objects.requireNonNull(config, "config");
        String hosts = ClientFactory.parse(config.connectionString()).getHosts().toString();
        MongoClient client = ClientFactory.create(config);
        try {
            return open(client, true, config, hosts);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** See {@link JobQueue#using}. */
    public static MongoJobQueue using(MongoClient client, QueueConfig config) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(config, "config");
        return open(client, false, config, client.getClusterDescription().getClusterSettings().getHosts().toString());
    }

    private static MongoJobQueue open(MongoClient client, boolean owned, QueueConfig config, String hosts) {
        MongoJobQueue queue = new MongoJobQueue(client, owned, config);
        queue.handshake(client, hosts);
        queue.serverClock.sync();
        queue.ensureIndexes();
        log.info("docjobs queue {} ready on {} (server clock offset {}, visibility timeout {}, max attempts {})",
                queue.name, hosts, queue.serverClock.offset(), config.defaultVisibilityTimeout(), config.defaultMaxAttempts());
        return queue;
    }

    private void handshake(MongoClient client, String hosts) {
        Document hello;
        try {
            hello = client.getDatabase("admin").runCommand(new Document("isMaster", 1));
        } catch (MongoTimeoutException e) {
            String cause = OperationRunner.describe(e);
            String full = String.valueOf(e.getMessage());
            String hint = full.contains("No subject alternative") || full.contains("No name matching")
                    ? " The server's certificate does not name the host in the connection string: connect with a"
                    + " host name the certificate lists."
                    : full.contains("PKIX") || full.contains("SSLHandshake") || full.contains("certificate")
                    ? " The TLS handshake failed: check that caFile holds the CA that signed the server's certificate."
                    : " Check that the server runs, the host and port in the connection string, firewalls, and TLS settings.";
            throw new DatabaseUnavailableException("no database server answered at " + hosts + " within "
                    + config.operationTimeout() + " (operationTimeout)." + hint + " Driver said: " + cause, e);
        } catch (MongoSecurityException e) {
            throw new ConfigurationException("authentication to " + hosts + " failed: " + e.getMessage()
                    + "; check the user name, password and authSource in the connection string", e);
        } catch (MongoIncompatibleDriverException e) {
            throw new ConfigurationException(tooOld(hosts, e.getMessage()), e);
        } catch (MongoException e) {
            throw new DocJobsException("could not talk to the database at " + hosts + ": " + OperationRunner.describe(e), e);
        }
        Object wire = hello.get("maxWireVersion");
        int maxWireVersion = wire instanceof Number number ? number.intValue() : 0;
        if (maxWireVersion < MIN_WIRE_VERSION) {
            throw new ConfigurationException(tooOld(hosts, "it reports wire version " + maxWireVersion));
        }
    }

    private static String tooOld(String hosts, String detail) {
        return "the database server at " + hosts + " is too old (" + detail + "); docjobs needs MongoDB 4.2 or newer"
                + " (wire version " + MIN_WIRE_VERSION + "+) or Amazon DocumentDB 5.0 or newer";
    }

    // ---------------------------------------------------------------- producing

    @Override
    public EnqueueResult enqueue(JobRequest request) {
        Objects.requireNonNull(request, "request");
        ObjectId id = new ObjectId();
        RawBsonDocument entry = encode(id, request, now(), -1);
        EnqueueResult result = runner.run("enqueue of type \"" + request.type() + "\"", attempt -> insertOne(id, entry, request));
        if (!result.duplicate()) {
            notifyEnqueued(Set.of(request.type()));
        }
        return result;
    }

    @Override
    public Runnable onEnqueue(java.util.function.Consumer<Set<String>> listener) {
        Objects.requireNonNull(listener, "listener");
        enqueueListeners.add(listener);
        if (config.changeStreams()) {
            synchronized (enqueueListeners) {
                if (watcher == null) {
                    watcher = new InsertWatcher(entries, name, this::notifyEnqueued);
                }
            }
        }
        return () -> enqueueListeners.remove(listener);
    }

    private void notifyEnqueued(Set<String> types) {
        for (java.util.function.Consumer<Set<String>> listener : enqueueListeners) {
            try {
                listener.accept(types);
            } catch (RuntimeException e) {
                log.warn("enqueue listener failed: {}", e.toString());
            }
        }
    }

    private EnqueueResult insertOne(ObjectId id, RawBsonDocument entry, JobRequest request) {
        for (int round = 0; ; round++) {
            try {
                rawEntries.insertOne(entry);
                return new EnqueueResult(id.toHexString(), false);
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
                Optional<EnqueueResult> resolved = resolveDuplicate(id, request);
                if (resolved.isPresent()) {
                    return resolved.get();
                }
                if (round >= 3) {
                    throw new DocJobsException("enqueue of type \"" + request.type() + "\" with dedup key \""
                            + request.dedupKey() + "\" kept colliding with entries that finished at once; try again", e);
                }
                // The entry holding the key finished between our insert and the lookup: insert again.
            }
        }
    }

    /**
     * After a duplicate-key error: either our own earlier try inserted the entry (a retry after a
     * lost reply), or an unfinished entry holds the dedup key. Empty if neither exists any more.
     */
    private Optional<EnqueueResult> resolveDuplicate(ObjectId id, JobRequest request) {
        Bson filter = request.dedupKey() == null ? eq(ID, id) : or(eq(ID, id), activeKey(request.dedupKey()));
        Document holder = entries.find(filter).projection(Projections.include(ID)).first();
        if (holder == null) {
            return Optional.empty();
        }
        // A foreign producer's entry may hold the key under an _id that is no ObjectId.
        Object holderId = holder.get(ID);
        return Optional.of(new EnqueueResult(Entries.idText(holderId), !id.equals(holderId)));
    }

    @Override
    public List<EnqueueResult> enqueueAll(List<JobRequest> requests) {
        Objects.requireNonNull(requests, "requests");
        if (requests.isEmpty()) {
            return List.of();
        }
        Instant now = now();
        List<ObjectId> ids = new ArrayList<>(requests.size());
        List<RawBsonDocument> batch = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            JobRequest request = Objects.requireNonNull(requests.get(i), "requests[" + i + "] was null");
            ObjectId id = new ObjectId();
            ids.add(id);
            batch.add(encode(id, request, now, i));
        }
        List<EnqueueResult> results = runner.run("enqueueAll of " + requests.size() + " entries",
                attempt -> insertMany(requests, ids, batch));
        Set<String> types = new HashSet<>();
        for (int i = 0; i < results.size(); i++) {
            if (!results.get(i).duplicate()) {
                types.add(requests.get(i).type());
            }
        }
        if (!types.isEmpty()) {
            notifyEnqueued(types);
        }
        return results;
    }

    private List<EnqueueResult> insertMany(List<JobRequest> requests, List<ObjectId> ids, List<RawBsonDocument> batch) {
        Map<Integer, BulkWriteError> errors = new TreeMap<>();
        try {
            rawEntries.insertMany(batch, new InsertManyOptions().ordered(false));
        } catch (MongoBulkWriteException e) {
            e.getWriteErrors().forEach(error -> errors.put(error.getIndex(), error));
        }
        List<String> failures = new ArrayList<>();
        errors.forEach((index, error) -> {
            if (error.getCategory() != ErrorCategory.DUPLICATE_KEY) {
                failures.add("#" + index + " (type \"" + requests.get(index).type() + "\"): " + error.getMessage());
            }
        });
        if (!failures.isEmpty()) {
            throw new DocJobsException("enqueueAll: " + failures.size() + " of " + requests.size()
                    + " entries were rejected by the database, the others were inserted: " + String.join("; ", failures));
        }
        EnqueueResult[] results = new EnqueueResult[requests.size()];
        for (int i = 0; i < results.length; i++) {
            if (!errors.containsKey(i)) {
                results[i] = new EnqueueResult(ids.get(i).toHexString(), false);
            }
        }
        if (!errors.isEmpty()) {
            resolveDuplicates(requests, ids, batch, errors.keySet(), results);
        }
        return List.of(results);
    }

    private void resolveDuplicates(List<JobRequest> requests, List<ObjectId> ids, List<RawBsonDocument> batch,
            Set<Integer> duplicates, EnqueueResult[] results) {
        List<ObjectId> ownIds = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int index : duplicates) {
            ownIds.add(ids.get(index));
            if (requests.get(index).dedupKey() != null) {
                keys.add(requests.get(index).dedupKey());
            }
        }
        Set<Object> existingOwn = new HashSet<>();
        Map<String, Object> holders = new HashMap<>();
        for (Document found : entries.find(or(in(ID, ownIds), new Document(ACTIVE_DEDUP_KEY, new Document("$in", keys).append("$exists", true))))
                .projection(Projections.include(ID, ACTIVE_DEDUP_KEY))) {
            existingOwn.add(found.get(ID));
            if (found.get(ACTIVE_DEDUP_KEY) instanceof String key) {
                holders.put(key, found.get(ID));
            }
        }
        for (int index : duplicates) {
            ObjectId id = ids.get(index);
            String key = requests.get(index).dedupKey();
            if (holders.containsKey(key) && !holders.get(key).equals(id)) {
                results[index] = new EnqueueResult(Entries.idText(holders.get(key)), true);
            } else if (existingOwn.contains(id)) {
                results[index] = new EnqueueResult(id.toHexString(), false);
            } else {
                // The holder finished in the meantime: this one may go in after all.
                results[index] = insertOne(id, batch.get(index), requests.get(index));
            }
        }
    }

    private RawBsonDocument encode(ObjectId id, JobRequest request, Instant now, int index) {
        Duration visibility = request.visibilityTimeout() != null ? request.visibilityTimeout() : config.defaultVisibilityTimeout();
        int maxAttempts = request.maxAttempts() != null ? request.maxAttempts() : config.defaultMaxAttempts();
        RawBsonDocument raw;
        try {
            raw = new RawBsonDocument(Entries.newEntry(id, request, now, visibility, maxAttempts, traceparent(request)),
                    DOCUMENT_CODEC);
        } catch (org.bson.codecs.configuration.CodecConfigurationException e) {
            throw new IllegalArgumentException((index >= 0 ? "requests[" + index + "]: " : "") + "payload of job type \""
                    + request.type() + "\" holds a value that cannot be stored as BSON (" + e.getMessage()
                    + "); use strings, numbers, booleans, dates, lists and nested documents", e);
        }
        int size = raw.getByteBuffer().remaining();
        if (size > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException((index >= 0 ? "requests[" + index + "]: " : "") + "payload of job type \""
                    + request.type() + "\" is too large: the entry would be " + size + " bytes but at most "
                    + MAX_PAYLOAD_BYTES + " are accepted (MongoDB's 16 MiB document limit less room for queue fields);"
                    + " store large data elsewhere and enqueue a reference to it");
        }
        return raw;
    }

    /** The request's trace context, else the current one from the configured supplier, if valid. */
    private String traceparent(JobRequest request) {
        if (request.traceparent() != null || config.traceparent() == null) {
            return request.traceparent();
        }
        try {
            String current = config.traceparent().get();
            return JobRequest.isTraceparent(current) ? current : null;
        } catch (RuntimeException e) {
            log.debug("the traceparent supplier failed; enqueueing without a trace context: {}", e.toString());
            return null;
        }
    }

    // ---------------------------------------------------------------- consuming

    @Override
    public Optional<Lease> claim(Collection<String> types, String workerId) {
        Set<String> typeSet = checkTypes(types);
        checkWorker(workerId);
        while (true) {
            // The token is made once per claim, outside the retried code: a retry after a lost reply
            // first looks for the entry the earlier try leased under it, instead of stranding it.
            String token = newToken();
            Optional<Lease> lease = runner.run("claim of " + typeSet, attempt -> {
                if (attempt > 1) {
                    List<Lease> recovered = recoverClaimed(typeSet, token, workerId);
                    if (!recovered.isEmpty()) {
                        return Optional.of(recovered.get(0));
                    }
                }
                return claimOne(typeSet, workerId, token);
            });
            if (lease.isEmpty() || !expiredOnLastAttempt(lease.get())) {
                return lease;
            }
        }
    }

    /**
     * Reads a few candidates in claim order, then leases the first one still claimable with a
     * {@code findOneAndUpdate} on its id that writes the entry's own deadline: a crash between the
     * steps leaves nothing hidden, and no entry is ever hidden longer than its own timeout.
     * Malformed candidates are quarantined on the way.
     */
    private Optional<Lease> claimOne(Set<String> types, String workerId, String token) {
        int contended = 0;
        int quarantining = 0;
        while (contended < CLAIM_ROUNDS) {
            List<Document> candidates = candidates(claimable(types, now()), CLAIM_CANDIDATES);
            if (candidates.isEmpty()) {
                return Optional.empty();
            }
            boolean quarantinedAny = false;
            for (Document candidate : candidates) {
                String problem = schema.problems(candidate);
                if (problem != null) {
                    quarantinedAny |= quarantine(claimableById(types, now(), candidate), candidate, problem, workerId);
                    continue;
                }
                if (expiredOnLastAttempt(candidate)) {
                    quarantinedAny |= deadLetterExpired(types, candidate);
                    continue;
                }
                // Read after the candidates: the deadline counts from when the lease is written.
                Instant now = now();
                Instant deadline = now.plus(schema.visibilityTimeout(candidate));
                Document won = entries.findOneAndUpdate(claimableById(types, now, candidate),
                        claimUpdate(token, workerId, deadline, now),
                        new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
                if (won != null) {
                    Optional<Lease> lease = leaseOrQuarantine(won, candidate.getDate(VISIBLE_AT), token, workerId);
                    if (lease.isPresent()) {
                        return lease;
                    }
                    quarantinedAny = true;
                }
            }
            if (candidates.size() < CLAIM_CANDIDATES) {
                return Optional.empty(); // every candidate there was went to other workers or to quarantine
            }
            if (quarantinedAny && quarantining < QUARANTINE_ROUNDS) {
                quarantining++;
            } else {
                contended++;
            }
        }
        return Optional.empty();
    }

    private List<Document> candidates(Bson filter, int limit) {
        return entries.find(filter).sort(CLAIM_ORDER).limit(limit).projection(EntrySchema.CANDIDATE_FIELDS)
                .into(new ArrayList<>());
    }

    /**
     * The lease of an entry this claim just leased under {@code token}, or empty if the full entry
     * turned out malformed (a field the candidate read did not hold): then it is quarantined,
     * fenced by the token, instead of handed out.
     */
    private Optional<Lease> leaseOrQuarantine(Document entry, Date visibleSince, String token, String workerId) {
        String problem = schema.problems(entry);
        if (problem == null) {
            return Optional.of(Entries.leaseFromClaimed(entry, visibleSince, schema));
        }
        quarantine(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token), entry, problem, workerId);
        return Optional.empty();
    }

    /**
     * Dead-letters a malformed entry with {@code problem} as its last error, if it still matches
     * {@code fence}: still claimable (so an entry another worker just leased is left alone), or
     * still carrying this claim's token. Counted and logged once per entry.
     *
     * @return whether this call quarantined it
     */
    private boolean quarantine(Bson fence, Document entry, String problem, String workerId) {
        JobError error = JobError.of(new MalformedEntryException(problem));
        if (!deadLetterIfStill(fence, error, EntrySchema.intValue(entry, ATTEMPTS, 0), workerId)) {
            return false;
        }
        quarantined.incrementAndGet();
        log.warn("quarantined entry {} of type {} in {} as a dead letter: {}", Entries.idText(entry.get(ID)),
                EntrySchema.render(entry.get(TYPE)), name, problem);
        return true;
    }

    /**
     * Dead-letters the entry matching {@code fence} (so nothing another worker did since it was
     * read is overwritten), recording {@code error} as the failure of {@code attempt} by
     * {@code workerId}; whether it matched.
     */
    private boolean deadLetterIfStill(Bson fence, JobError error, int attempt, String workerId) {
        Instant now = now();
        Document update = new Document("$set", new Document(STATE, DEAD).append(DEAD_AT, Date.from(now))
                .append(LAST_ERROR, Entries.errorDocument(error, attempt, workerId, now)))
                .append("$unset", new Document(VISIBLE_AT, "").append(ACTIVE_DEDUP_KEY, "").append(LEASE_TOKEN, "")
                        .append(CLAIMED_AT, ""));
        return entries.findOneAndUpdate(fence, update, new FindOneAndUpdateOptions().projection(Projections.include(ID))) != null;
    }

    @Override
    public long quarantined() {
        return quarantined.get();
    }

    @Override
    public List<Lease> claimBatch(Collection<String> types, String workerId, int max) {
        Map<String, Integer> limits = new HashMap<>();
        checkTypes(types).forEach(type -> limits.put(type, max));
        return claimBatch(limits, workerId, max);
    }

    @Override
    public List<Lease> claimBatch(Map<String, Integer> limits, String workerId, int max) {
        Objects.requireNonNull(limits, "limits");
        Set<String> typeSet = checkTypes(limits.keySet());
        checkWorker(workerId);
        if (max < 1 || max > MAX_BATCH) {
            throw new IllegalArgumentException("max was " + max + " but must be between 1 and " + MAX_BATCH);
        }
        Map<String, Integer> room = new HashMap<>();
        limits.forEach((type, limit) -> {
            if (limit == null || limit < 0) {
                throw new IllegalArgumentException("limit of type \"" + type + "\" was " + limit
                        + " but must be zero or positive");
            }
            if (limit > 0) {
                room.put(type, Math.min(limit, max));
            }
        });
        List<Lease> claimed = new ArrayList<>();
        // A few passes at most: a later pass takes the place of entries other workers won, of
        // entries skipped because their type had no room left, or of entries quarantined.
        int passes = 0;
        int quarantining = 0;
        while (passes < CLAIM_ROUNDS && claimed.size() < max && !room.isEmpty()) {
            int wanted = max - claimed.size();
            String token = newToken();
            Set<String> passTypes = Set.copyOf(room.keySet());
            Map<String, Integer> passRoom = Map.copyOf(room);
            ClaimPass result;
            try {
                result = runner.run("claimBatch of " + passTypes, attempt -> {
                    if (attempt > 1) {
                        List<Lease> recovered = recoverClaimed(passTypes, token, workerId);
                        if (!recovered.isEmpty()) {
                            // How many candidates the lost try saw is unknown: let another pass look.
                            return new ClaimPass(wanted, recovered.size(), recovered, 0);
                        }
                    }
                    return claimPass(passTypes, passRoom, workerId, wanted, token);
                });
            } catch (RuntimeException e) {
                if (claimed.isEmpty()) {
                    throw e;
                }
                // The leases of earlier passes are ours: hand them out rather than strand them.
                log.warn("claimBatch of {} on {}: a later pass failed ({}); returning the {} leases already won",
                        typeSet, name, e.getMessage(), claimed.size());
                return claimed;
            }
            for (Lease lease : result.leases()) {
                room.computeIfPresent(lease.type(), (type, left) -> left > 1 ? left - 1 : null);
                if (!expiredOnLastAttemptQuietly(lease)) {
                    claimed.add(lease);
                }
            }
            if (result.quarantined() > 0 && quarantining < QUARANTINE_ROUNDS) {
                quarantining++;
            } else {
                passes++;
            }
            boolean moreExist = result.found() == wanted;
            boolean lostRaces = result.leases().size() < result.eligible();
            boolean skipped = result.eligible() < result.found();
            if (!moreExist || !lostRaces && !skipped) {
                break;
            }
        }
        return claimed;
    }

    /** Candidates read, well-formed candidates within their type's room, the leases won of those, and entries quarantined. */
    private record ClaimPass(int found, int eligible, List<Lease> leases, int quarantined) {
    }

    /**
     * One pass of a batch claim: read the next candidates, keep those within their type's room,
     * lease those still claimable with one {@code updateMany} per distinct visibility timeout (all
     * under one fresh token), and read back the entries that now carry the token. The fence is the
     * claimable condition itself, evaluated atomically per entry, so nothing read in the first step
     * can let two workers win the same entry; and only entries we now own are read in full.
     * Malformed candidates are quarantined before the leasing, malformed entries read back after it.
     */
    private ClaimPass claimPass(Set<String> types, Map<String, Integer> room, String workerId, int wanted, String token) {
        List<Document> candidates = candidates(claimable(types, now()), wanted);
        if (candidates.isEmpty()) {
            return new ClaimPass(0, 0, List.of(), 0);
        }
        Map<String, Integer> left = new HashMap<>(room);
        Map<Long, List<Object>> idsByVisibility = new TreeMap<>();
        Map<Object, Date> visibleSince = new LinkedHashMap<>();
        int quarantinedHere = 0;
        for (Document candidate : candidates) {
            String problem = schema.problems(candidate);
            if (problem != null) {
                quarantinedHere += quarantine(claimableById(types, now(), candidate), candidate, problem, workerId) ? 1 : 0;
                continue;
            }
            if (expiredOnLastAttempt(candidate)) {
                quarantinedHere += deadLetterExpired(types, candidate) ? 1 : 0;
                continue;
            }
            String type = candidate.getString(TYPE);
            if (left.merge(type, -1, Integer::sum) < 0) {
                continue; // no room for another of this type in this round
            }
            idsByVisibility.computeIfAbsent(schema.visibilityTimeout(candidate).toMillis(), ms -> new ArrayList<>())
                    .add(candidate.get(ID));
            visibleSince.put(candidate.get(ID), candidate.getDate(VISIBLE_AT));
        }
        if (visibleSince.isEmpty()) {
            return new ClaimPass(candidates.size(), 0, List.of(), quarantinedHere);
        }
        // Read after the candidates: deadlines count from when the leases are written.
        Instant now = now();
        long won = 0;
        for (Map.Entry<Long, List<Object>> group : idsByVisibility.entrySet()) {
            Document filter = ((Document) claimable(types, now)).append(ID, new Document("$in", group.getValue()));
            Instant deadline = now.plusMillis(group.getKey());
            won += entries.updateMany(filter, claimUpdate(token, workerId, deadline, now)).getModifiedCount();
        }
        if (won == 0) {
            return new ClaimPass(candidates.size(), visibleSince.size(), List.of(), quarantinedHere);
        }
        Map<Object, Document> owned = new HashMap<>();
        entries.find(new Document(ID, new Document("$in", List.copyOf(visibleSince.keySet()))).append(LEASE_TOKEN, token))
                .forEach(entry -> owned.put(entry.get(ID), entry));
        List<Lease> leases = new ArrayList<>(owned.size());
        for (Map.Entry<Object, Date> candidate : visibleSince.entrySet()) {
            Document entry = owned.get(candidate.getKey());
            if (entry != null) {
                Optional<Lease> lease = leaseOrQuarantine(entry, candidate.getValue(), token, workerId);
                lease.ifPresent(leases::add);
                quarantinedHere += lease.isEmpty() ? 1 : 0;
            }
        }
        return new ClaimPass(candidates.size(), visibleSince.size(), leases, quarantinedHere);
    }

    /**
     * The entries an earlier try of this claim leased under {@code token} before its reply was
     * lost, with their deadlines set to now + their own timeout.
     */
    private List<Lease> recoverClaimed(Set<String> types, String token, String workerId) {
        Instant now = now();
        List<Lease> leases = new ArrayList<>();
        for (Document entry : entries.find(new Document(STATE, LEASED).append(TYPE, new Document("$in", List.copyOf(types)))
                .append(LEASE_TOKEN, token))) {
            String problem = schema.problems(entry);
            if (problem != null) {
                quarantine(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token), entry, problem, workerId);
                continue;
            }
            Instant deadline = now.plus(schema.visibilityTimeout(entry));
            if (entries.updateOne(new Document(ID, entry.get(ID)).append(LEASE_TOKEN, token),
                    new Document("$set", new Document(VISIBLE_AT, Date.from(deadline)))).getMatchedCount() == 1) {
                entry.put(VISIBLE_AT, Date.from(deadline));
                leases.add(Entries.leaseFromClaimed(entry, null, schema));
            }
        }
        if (!leases.isEmpty()) {
            log.info("recovered {} entries leased by a claim whose reply was lost", leases.size());
        }
        return leases;
    }

    /** A candidate whose lease expired on its last attempt: it must not run again. */
    private boolean expiredOnLastAttempt(Document candidate) {
        return LEASED.equals(candidate.get(STATE))
                && EntrySchema.intValue(candidate, ATTEMPTS, 0) >= schema.maxAttempts(candidate);
    }

    /**
     * Dead-letters a candidate whose last attempt's lease expired, without claiming it: the error
     * names that attempt and its worker. Fenced by "still claimable", so it cannot touch an entry
     * another worker just claimed (or dead-lettered).
     *
     * @return whether this call dead-lettered it
     */
    private boolean deadLetterExpired(Set<String> types, Document candidate) {
        int attempts = EntrySchema.intValue(candidate, ATTEMPTS, 0);
        int maxAttempts = schema.maxAttempts(candidate);
        Object worker = candidate.get(WORKER_ID);
        JobError error = JobError.of("attempt " + attempts + " of " + maxAttempts + " did not finish: its lease expired"
                + " without done or release (worker crashed, was killed or hung)");
        boolean done = deadLetterIfStill(claimableById(types, now(), candidate), error, attempts,
                worker instanceof String w ? w : null);
        if (done) {
            log.warn("entry {} of type \"{}\" used all {} attempts and its last lease (worker {}) expired: dead-lettered",
                    Entries.idText(candidate.get(ID)), candidate.get(TYPE), maxAttempts, worker);
        }
        return done;
    }

    /**
     * A lease whose previous holder let its last attempt expire (crashed, or killed by the job
     * itself) must not run again: it is dead-lettered here and not handed out.
     */
    private boolean expiredOnLastAttempt(Lease lease) {
        if (lease.attempt() <= lease.maxAttempts()) {
            return false;
        }
        JobError error = JobError.of("attempt " + (lease.attempt() - 1) + " of " + lease.maxAttempts()
                + " did not finish: its lease expired without done or release (worker crashed, was killed or hung)");
        // The failed attempt is the one before this claim; its worker is gone, and not this one.
        ReleaseResult result = finish(lease, error, lease.attempt() - 1, null, true, Duration.ZERO,
                "dead-letter of expired entry");
        log.warn("entry {} of type \"{}\" used all {} attempts and its last lease expired: {}", lease.id(), lease.type(),
                lease.maxAttempts(), result == ReleaseResult.DEAD_LETTERED ? "dead-lettered" : "taken by another worker");
        return true;
    }

    /** {@link #expiredOnLastAttempt}, except that a failure to dead-letter only skips the lease. */
    private boolean expiredOnLastAttemptQuietly(Lease lease) {
        try {
            return expiredOnLastAttempt(lease);
        } catch (RuntimeException e) {
            // Not ours to run either way: the next claim of the entry tries the dead-letter again.
            log.warn("could not dead-letter entry {} that used all its attempts: {}", lease.id(), e.getMessage());
            return true;
        }
    }

    /** Filters are flat documents rather than {@code $and}s so the embedded server can use its _id index. */
    private static Bson claimable(Set<String> types, Instant now) {
        return new Document(STATE, new Document("$in", List.of(READY, LEASED)))
                .append(TYPE, new Document("$in", List.copyOf(types)))
                .append(VISIBLE_AT, new Document("$lte", Date.from(now)));
    }

    /** {@link #claimable} for one candidate: the fence of its lease or its quarantine. */
    private static Document claimableById(Set<String> types, Instant now, Document candidate) {
        return ((Document) claimable(types, now)).append(ID, candidate.get(ID));
    }

    private static Document claimUpdate(String token, String workerId, Instant deadline, Instant now) {
        return new Document("$set", new Document(STATE, LEASED)
                .append(LEASE_TOKEN, token)
                .append(WORKER_ID, workerId)
                .append(VISIBLE_AT, Date.from(deadline))
                .append(CLAIMED_AT, Date.from(now)))
                .append("$inc", new Document(ATTEMPTS, 1));
    }

    @Override
    public boolean done(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        ObjectId id = Entries.objectId(lease.id());
        return runner.run("done of " + lease.id(), attempt -> {
            if (entries.deleteOne(fenced(lease)).getDeletedCount() == 1) {
                return true;
            }
            // A retry that finds the entry gone: our first try deleted it, unless the lease had
            // expired, when another worker may have claimed and completed it. Before the deadline
            // no one else can have held the entry, so the deletion was ours.
            return attempt > 1 && now().isBefore(lease.deadline())
                    && entries.find(eq(ID, id)).projection(Projections.include(ID)).first() == null;
        });
    }

    @Override
    public Optional<Lease> extend(Lease lease, Duration duration) {
        Objects.requireNonNull(lease, "lease");
        checkExtension(duration);
        return runner.run("extend of " + lease.id(), attempt -> {
            Instant deadline = now().plus(duration);
            // Returns the stored deadline, which an earlier, longer extension may have set.
            Document after = entries.findOneAndUpdate(fenced(lease), extendTo(deadline), new FindOneAndUpdateOptions()
                    .projection(Projections.include(VISIBLE_AT)).returnDocument(ReturnDocument.AFTER));
            return after == null ? Optional.<Lease>empty()
                    : Optional.of(lease.withDeadline(later(after.getDate(VISIBLE_AT).toInstant(), deadline)));
        });
    }

    @Override
    public Extension extendAll(Collection<Lease> leases, Duration duration) {
        Objects.requireNonNull(leases, "leases");
        checkExtension(duration);
        if (leases.isEmpty()) {
            return new Extension(List.of(), List.of());
        }
        List<Lease> all = List.copyOf(leases);
        return runner.run("extendAll of " + all.size() + " leases", attempt -> {
            Instant deadline = now().plus(duration);
            List<WriteModel<Document>> updates = new ArrayList<>(all.size());
            for (Lease lease : all) {
                updates.add(new UpdateOneModel<>(fenced(lease), extendTo(deadline)));
            }
            BulkWriteResult result = entries.bulkWrite(updates, new BulkWriteOptions().ordered(false));
            List<Lease> extended = new ArrayList<>();
            List<Lease> lost = new ArrayList<>();
            if (result.getMatchedCount() == all.size()) {
                all.forEach(lease -> extended.add(lease.withDeadline(later(lease.deadline(), deadline))));
                return new Extension(extended, lost);
            }
            // Some did not match: a token still in place means that update applied.
            Map<String, String> tokens = new HashMap<>();
            entries.find(in(ID, all.stream().map(lease -> Entries.objectId(lease.id())).toList()))
                    .projection(Projections.include(LEASE_TOKEN))
                    .forEach(entry -> tokens.put(entry.getObjectId(ID).toHexString(), entry.getString(LEASE_TOKEN)));
            for (Lease lease : all) {
                if (lease.token().equals(tokens.get(lease.id()))) {
                    extended.add(lease.withDeadline(later(lease.deadline(), deadline)));
                } else {
                    lost.add(lease);
                }
            }
            return new Extension(extended, lost);
        });
    }

    /**
     * Extensions only ever move a deadline later ({@code $max}): when a heartbeat and a handler's
     * own extension race, the database keeps the later deadline whatever order they land in, so
     * the deadline a worker remembers is never later than the stored one.
     */
    private static Document extendTo(Instant deadline) {
        return new Document("$max", new Document(VISIBLE_AT, Date.from(deadline)));
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    @Override
    public ReleaseResult release(Lease lease, Duration delay, JobError error) {
        Objects.requireNonNull(lease, "lease");
        if (delay == null || delay.isNegative() || delay.compareTo(JobRequest.MAX_DELAY) > 0) {
            throw new IllegalArgumentException("delay was " + delay + " but must be zero or positive and at most "
                    + JobRequest.MAX_DELAY);
        }
        return finish(lease, error, lease.isLastAttempt(), delay, "release of " + lease.id());
    }

    @Override
    public ReleaseResult deadLetter(Lease lease, JobError error) {
        Objects.requireNonNull(lease, "lease");
        return finish(lease, error, true, Duration.ZERO, "dead-letter of " + lease.id());
    }

    private ReleaseResult finish(Lease lease, JobError error, boolean dead, Duration delay, String operation) {
        return finish(lease, error, lease.attempt(), lease.workerId(), dead, delay, operation);
    }

    /**
     * Releases or dead-letters the entry under {@code lease}, recording {@code error} as the
     * failure of {@code failedAttempt} by {@code failedWorker}. The update carries a token made for
     * this one call, so a retry after a lost reply recognises its own effect and nothing else (an
     * earlier release with the same lease wrote another token).
     */
    private ReleaseResult finish(Lease lease, JobError error, int failedAttempt, String failedWorker, boolean dead,
            Duration delay, String operation) {
        String callToken = newToken();
        return runner.run(operation, attempt -> {
            Instant now = now();
            Document set = new Document(LAST_ERROR, Entries.errorDocument(error, failedAttempt, failedWorker, now))
                    .append(RELEASED_TOKEN, callToken);
            Document unset = new Document(LEASE_TOKEN, "").append(CLAIMED_AT, "");
            if (dead) {
                set.append(STATE, DEAD).append(DEAD_AT, Date.from(now));
                unset.append(VISIBLE_AT, "").append(ACTIVE_DEDUP_KEY, "");
            } else {
                set.append(STATE, READY).append(VISIBLE_AT, Date.from(now.plus(delay)));
                unset.append(WORKER_ID, "");
            }
            UpdateResult result = entries.updateOne(fenced(lease), new Document("$set", set).append("$unset", unset));
            boolean applied = result.getMatchedCount() == 1 || attempt > 1 && appliedEarlier(lease, callToken);
            return applied ? (dead ? ReleaseResult.DEAD_LETTERED : ReleaseResult.RETRY_SCHEDULED) : ReleaseResult.LEASE_LOST;
        });
    }

    @Override
    public boolean giveBack(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        String callToken = newToken();
        return runner.run("give-back of " + lease.id(), attempt -> {
            Document update = new Document("$set", new Document(STATE, READY).append(VISIBLE_AT, Date.from(now()))
                    .append(RELEASED_TOKEN, callToken))
                    .append("$inc", new Document(ATTEMPTS, -1))
                    .append("$unset", new Document(LEASE_TOKEN, "").append(WORKER_ID, "").append(CLAIMED_AT, ""));
            return entries.updateOne(fenced(lease), update).getMatchedCount() == 1
                    || attempt > 1 && appliedEarlier(lease, callToken);
        });
    }

    private boolean appliedEarlier(Lease lease, String callToken) {
        return entries.find(new Document(ID, Entries.objectId(lease.id())).append(RELEASED_TOKEN, callToken))
                .projection(Projections.include(ID)).first() != null;
    }

    /** DocumentDB uses a sparse index only for queries that say {@code $exists}. */
    private static Bson activeKey(String key) {
        return new Document(ACTIVE_DEDUP_KEY, new Document("$eq", key).append("$exists", true));
    }

    private static Bson fenced(Lease lease) {
        return new Document(ID, Entries.objectId(lease.id())).append(LEASE_TOKEN, lease.token());
    }

    // ---------------------------------------------------------------- admin

    @Override
    public QueueStats stats() {
        return runner.run("stats", attempt -> {
            Instant now = now();
            Date nowDate = Date.from(now);
            Document visibleNow = new Document("$cond", List.of(new Document("$lte", List.of("$" + VISIBLE_AT, nowDate)), 1, 0));
            List<Document> pipeline = List.of(new Document("$group", new Document(ID,
                    new Document(TYPE, "$" + TYPE).append(STATE, "$" + STATE))
                    .append("count", new Document("$sum", 1))
                    .append("visibleNow", new Document("$sum", visibleNow))
                    .append("minVisibleAt", new Document("$min", "$" + VISIBLE_AT))));
            Map<String, long[]> counts = new TreeMap<>();
            Map<String, Duration> oldest = new HashMap<>();
            for (Document row : entries.aggregate(pipeline)) {
                Document key = row.get(ID, Document.class);
                // Entries written by hand may have any type and state: show them, never fail on them.
                String type = String.valueOf(Entries.text(key.get(TYPE)));
                long count = ((Number) row.get("count")).longValue();
                long visible = ((Number) row.get("visibleNow")).longValue();
                long[] c = counts.computeIfAbsent(type, t -> new long[5]);
                switch (key.get(STATE) instanceof String state ? state : "") {
                    case "ready" -> {
                        c[0] += visible;
                        c[1] += count - visible;
                        if (row.get("minVisibleAt") instanceof Date min && !min.toInstant().isAfter(now)) {
                            oldest.put(type, Duration.between(min.toInstant(), now));
                        }
                    }
                    case "leased" -> {
                        c[2] += count - visible;
                        c[3] += visible;
                    }
                    default -> c[4] += count;
                }
            }
            List<QueueStats.TypeStats> rows = new ArrayList<>();
            counts.forEach((type, c) -> rows.add(new QueueStats.TypeStats(type, c[0], c[1], c[2], c[3], c[4],
                    oldest.getOrDefault(type, Duration.ZERO))));
            return new QueueStats(now, rows);
        });
    }

    @Override
    public Optional<JobEntry> get(String id) {
        ObjectId objectId = Entries.objectId(id);
        return runner.run("get of " + id, attempt ->
                Optional.ofNullable(entries.find(eq(ID, objectId)).first()).map(entry -> Entries.toJobEntry(entry, schema)));
    }

    @Override
    public List<JobEntry> peek(Optional<String> type, int limit) {
        checkPage(0, limit);
        Bson filter = withType(eq(STATE, READY), type);
        return runner.run("peek", attempt -> entries.find(filter).sort(CLAIM_ORDER).limit(limit)
                .map(entry -> Entries.toJobEntry(entry, schema)).into(new ArrayList<>()));
    }

    @Override
    public List<JobEntry> deadLetters(Optional<String> type, int offset, int limit) {
        checkPage(offset, limit);
        Bson filter = withType(eq(STATE, DEAD), type);
        return runner.run("list of dead letters", attempt -> entries.find(filter)
                .sort(Sorts.orderBy(Sorts.descending(DEAD_AT), Sorts.descending(ID))).skip(offset).limit(limit)
                .map(entry -> Entries.toJobEntry(entry, schema)).into(new ArrayList<>()));
    }

    @Override
    public boolean requeueDead(String id) {
        ObjectId objectId = Entries.objectId(id);
        // Made once, outside the retried code: a retry recognises its own earlier requeue by it.
        String token = newToken();
        return runner.run("requeue of " + id, attempt -> {
            Document entry = entries.find(and(eq(ID, objectId), eq(STATE, DEAD))).first();
            if (entry == null && attempt > 1) {
                return entries.find(new Document(ID, objectId).append(REQUEUE_TOKEN, token))
                        .projection(Projections.include(ID)).first() != null;
            }
            return entry != null && requeue(entry, token);
        });
    }

    private boolean requeue(Document deadEntry, String token) {
        Document set = new Document(STATE, READY).append(VISIBLE_AT, Date.from(now())).append(ATTEMPTS, 0)
                .append(REQUEUE_TOKEN, token);
        // A malformed dead letter's key may be no string: it then holds no key when requeued.
        String key = deadEntry.get(DEDUP_KEY) instanceof String text ? text : null;
        if (key != null) {
            set.append(ACTIVE_DEDUP_KEY, key);
        }
        try {
            return entries.updateOne(and(eq(ID, deadEntry.get(ID)), eq(STATE, DEAD)),
                    new Document("$set", set).append("$unset", new Document(DEAD_AT, ""))).getMatchedCount() == 1;
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            Document holder = entries.find(activeKey(key)).projection(Projections.include(ID)).first();
            throw new DocJobsException("cannot requeue dead entry " + Entries.idText(deadEntry.get(ID))
                    + ": unfinished entry " + (holder == null ? "(just finished)" : Entries.idText(holder.get(ID)))
                    + " holds the same dedup key \"" + key + "\"; requeue it after that entry finishes, or purge it", e);
        }
    }

    @Override
    public long requeueAllDead(Optional<String> type) {
        Bson dead = withType(eq(STATE, DEAD), type);
        return runner.run("requeue of all dead letters", attempt -> {
            long count = entries.updateMany(and(dead, exists(DEDUP_KEY, false)), new Document("$set",
                    new Document(STATE, READY).append(VISIBLE_AT, Date.from(now())).append(ATTEMPTS, 0))
                    .append("$unset", new Document(DEAD_AT, ""))).getModifiedCount();
            // Entries with a dedup key one by one: each may collide with a newer unfinished entry.
            for (Document entry : entries.find(and(dead, exists(DEDUP_KEY, true))).into(new ArrayList<>())) {
                try {
                    count += requeue(entry, newToken()) ? 1 : 0;
                } catch (DocJobsException e) {
                    log.warn("{}", e.getMessage());
                }
            }
            return count;
        });
    }

    @Override
    public long purgeDead(Optional<String> type, Instant before) {
        Objects.requireNonNull(before, "before");
        Bson filter = and(withType(eq(STATE, DEAD), type), lt(DEAD_AT, Date.from(before)));
        return runner.run("purge of dead letters", attempt -> entries.deleteMany(filter).getDeletedCount());
    }

    @Override
    public void ping() {
        try {
            adminDatabase.runCommand(new Document("ping", 1));
        } catch (MongoException e) {
            throw new DatabaseUnavailableException("database behind queue " + name + " does not answer: "
                    + OperationRunner.describe(e), e);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Instant now() {
        return serverClock.now().truncatedTo(ChronoUnit.MILLIS);
    }

    @Override
    public void ensureIndexes() {
        List<IndexModel> indexes = List.of(
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(STATE, TYPE), Indexes.descending(PRIORITY),
                        Indexes.ascending(VISIBLE_AT)), new IndexOptions().name(CLAIM_INDEX)),
                // Sparse and unique on a field set only while unfinished: finished entries free the key
                // without a partial filter (which DocumentDB and the embedded server do not honour).
                new IndexModel(Indexes.ascending(ACTIVE_DEDUP_KEY), new IndexOptions().name(DEDUP_INDEX)
                        .unique(true).sparse(true)),
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(STATE), Indexes.descending(DEAD_AT)),
                        new IndexOptions().name(DEAD_INDEX)));
        runner.run("index creation", attempt -> entries.createIndexes(indexes));
    }

    @Override
    public void close() {
        runner.close();
        synchronized (enqueueListeners) {
            if (watcher != null) {
                watcher.close();
            }
        }
        if (ownedClient != null) {
            ownedClient.close();
        }
    }

    @Override
    public String toString() {
        return "MongoJobQueue{" + name + "}";
    }

    /** Tests only: see {@link OperationRunner.Faults}. */
    void faults(OperationRunner.Faults faults) {
        runner.faults(faults);
    }

    // ---------------------------------------------------------------- helpers

    private String newToken() {
        byte[] bytes = new byte[16];
        random.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static Bson withType(Bson filter, Optional<String> type) {
        Objects.requireNonNull(type, "type (use Optional.empty() for all types)");
        return type.map(t -> and(filter, eq(TYPE, t))).orElse(filter);
    }

    private static Set<String> checkTypes(Collection<String> types) {
        if (types == null || types.isEmpty()) {
            throw new IllegalArgumentException("types was " + types + " but must name at least one message type");
        }
        Set<String> set = new HashSet<>();
        for (String type : types) {
            if (type == null || type.isBlank()) {
                throw new IllegalArgumentException("types contained " + (type == null ? "null" : "a blank type")
                        + " but every type must be a non-blank message type");
            }
            set.add(type);
        }
        return Set.copyOf(set);
    }

    private static void checkWorker(String workerId) {
        if (workerId == null || workerId.isBlank()) {
            throw new IllegalArgumentException("workerId was " + (workerId == null ? "null" : "blank")
                    + " but must name the worker, e.g. host-pid-thread");
        }
    }

    private static void checkExtension(Duration duration) {
        if (duration == null || duration.isNegative() || duration.isZero() || duration.compareTo(JobRequest.MAX_VISIBILITY_TIMEOUT) > 0) {
            throw new IllegalArgumentException("duration was " + duration + " but must be positive and at most "
                    + JobRequest.MAX_VISIBILITY_TIMEOUT);
        }
    }

    private static void checkPage(int offset, int limit) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset was " + offset + " but must be zero or positive");
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit was " + limit + " but must be between 1 and " + MAX_PAGE);
        }
    }
}
