package io.docjobs.mongo;

import static io.docjobs.mongo.EntryStore.LOG;

import com.mongodb.MongoException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoDatabase;
import io.docjobs.AdminResult;
import io.docjobs.AuditRecord;
import io.docjobs.DatabaseUnavailableException;
import io.docjobs.DeadLetterPage;
import io.docjobs.DocJobsException;
import io.docjobs.EnqueueResult;
import io.docjobs.CompletionResult;
import io.docjobs.ExtensionResult;
import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.JobPage;
import io.docjobs.JobQuery;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import io.docjobs.QueueConfig;
import io.docjobs.QueueStats;
import io.docjobs.ReleaseResult;
import io.docjobs.RequeueResult;
import io.docjobs.Schedules;
import io.docjobs.SupervisorInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.bson.Document;
import org.jspecify.annotations.Nullable;

/**
 * The {@link JobQueue} on a MongoDB / DocumentDB collection. Obtain it through
 * {@link JobQueue#connect} or {@link JobQueue#using}, which reach it through {@link MongoQueues}.
 *
 * <p>A facade: each concern lives in a package-private part ({@link Handshake}, {@link Enqueuer},
 * {@link Claimer}, {@link BatchClaimer}, {@link Quarantine}, {@link LeaseWriter},
 * {@link Inspector}, {@link DeadLetters}, {@link AdminWrites}, {@link AuditLog}, {@link EntryIndexes},
 * {@link MongoSchedules}, {@link SupervisorRegistry}) over one shared
 * {@link EntryStore}.
 */
final class MongoJobQueue implements JobQueue {
    /** Who the audit log names for the admin writes called without a {@code by}. */
    static final String UNNAMED = "unnamed";
    private final MongoClient ownedClient;
    private final MongoDatabase adminDatabase;
    private final EntryStore store;
    private final EnqueueNotifier notifier;
    private final Enqueuer enqueuer;
    private final LeaseWriter leaseWriter;
    private final Quarantine quarantine;
    private final Claimer claimer;
    private final BatchClaimer batchClaimer;
    private final Inspector inspector;
    private final DeadLetters deadLetters;
    private final AuditLog auditLog;
    private final AdminWrites adminWrites;
    private final EntryIndexes indexes;
    private final MongoSchedules schedules;
    private final SupervisorRegistry registry;

    private MongoJobQueue(MongoClient client, boolean owned, QueueConfig config) {
        this.ownedClient = owned ? client : null;
        this.adminDatabase = client.getDatabase("admin");
        this.store = new EntryStore(client, config);
        this.notifier = new EnqueueNotifier(store);
        this.enqueuer = new Enqueuer(store, notifier);
        this.leaseWriter = new LeaseWriter(store);
        this.quarantine = new Quarantine(store, leaseWriter);
        this.claimer = new Claimer(store, quarantine);
        this.batchClaimer = new BatchClaimer(store, claimer, quarantine);
        this.inspector = new Inspector(store);
        this.deadLetters = new DeadLetters(store);
        this.auditLog = new AuditLog(store);
        this.adminWrites = new AdminWrites(store, auditLog);
        this.indexes = new EntryIndexes(store);
        this.schedules = new MongoSchedules(store, enqueuer, new ScheduleFirer(store, notifier));
        this.registry = new SupervisorRegistry(store);
    }

    /** See {@link JobQueue#connect}. */
    static MongoJobQueue connect(QueueConfig config) {
        Arguments.notNull(config, "config");
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
    static MongoJobQueue using(MongoClient client, QueueConfig config) {
        Arguments.notNull(client, "client");
        Arguments.notNull(config, "config");
        return open(client, false, config, client.getClusterDescription().getClusterSettings().getHosts().toString());
    }

    private static MongoJobQueue open(MongoClient client, boolean owned, QueueConfig config, String hosts) {
        MongoJobQueue queue = new MongoJobQueue(client, owned, config);
        Handshake.check(client, hosts, config);
        queue.store.serverClock.sync();
        queue.ensureIndexes();
        LOG.info("docjobs queue {} ready on {} (server clock offset {}, visibility timeout {}, max attempts {})",
                queue.store.name, hosts, queue.store.serverClock.offset(), config.defaultVisibilityTimeout(),
                config.defaultMaxAttempts());
        return queue;
    }

    // ---------------------------------------------------------------- producing

    @Override
    public EnqueueResult enqueue(JobRequest request) {
        return enqueuer.enqueue(request);
    }

    @Override
    public List<EnqueueResult> enqueueAll(List<JobRequest> requests) {
        return enqueuer.enqueueAll(requests);
    }

    @Override
    public Runnable onEnqueue(Consumer<Set<String>> listener) {
        return notifier.onEnqueue(listener);
    }

    // ---------------------------------------------------------------- consuming

    @Override
    public Optional<Lease> claim(Collection<String> types, String workerId) {
        return claimer.claim(types, workerId);
    }

    @Override
    public List<Lease> claimBatch(Collection<String> types, String workerId, int max) {
        return batchClaimer.claimBatch(types, workerId, max);
    }

    @Override
    public List<Lease> claimBatch(Map<String, Integer> limits, String workerId, int max) {
        return batchClaimer.claimBatch(limits, workerId, max);
    }

    @Override
    public boolean done(Lease lease) {
        return leaseWriter.done(lease);
    }

    @Override
    public CompletionResult doneAll(Collection<Lease> leases) {
        return leaseWriter.doneAll(leases);
    }

    @Override
    public Optional<Lease> extend(Lease lease, Duration duration) {
        return leaseWriter.extend(lease, duration);
    }

    @Override
    public ExtensionResult extendAll(Collection<Lease> leases, Duration duration) {
        return leaseWriter.extendAll(leases, duration);
    }

    @Override
    public ReleaseResult release(Lease lease, Duration delay, JobError error) {
        return leaseWriter.release(lease, delay, error);
    }

    @Override
    public ReleaseResult deadLetter(Lease lease, JobError error) {
        return leaseWriter.deadLetter(lease, error);
    }

    @Override
    public boolean giveBack(Lease lease) {
        return leaseWriter.giveBack(lease);
    }

    @Override
    public long quarantined() {
        return quarantine.quarantined();
    }

    // ---------------------------------------------------------------- admin

    @Override
    public QueueStats stats() {
        return inspector.stats();
    }

    @Override
    public Optional<JobEntry> get(String id) {
        return inspector.get(id);
    }

    @Override
    public List<JobEntry> peek(@Nullable String type, int limit) {
        return inspector.peek(type, limit);
    }

    @Override
    public DeadLetterPage deadLetters(@Nullable String type, @Nullable String after, int limit) {
        return inspector.deadLetters(type, after, limit);
    }

    @Override
    public JobPage jobs(JobQuery query) {
        return inspector.jobs(query);
    }

    @Override
    public List<SupervisorInfo> supervisors() {
        return registry.list();
    }

    /** The registry supervisors on this queue write to. */
    SupervisorRegistry registry() {
        return registry;
    }

    @Override
    public RequeueResult requeueDead(String id) {
        return requeueDead(id, UNNAMED);
    }

    @Override
    public RequeueResult requeueDead(String id, String by) {
        AuditLog.checkBy(by);
        RequeueResult result = deadLetters.requeueDead(id);
        auditLog.record(by, "requeue", result.id(), null, result.status().name(), result.describe());
        return result;
    }

    @Override
    public long requeueAllDead(@Nullable String type) {
        return requeueAllDead(type, UNNAMED);
    }

    @Override
    public long requeueAllDead(@Nullable String type, String by) {
        AuditLog.checkBy(by);
        long count = deadLetters.requeueAllDead(type);
        auditLog.record(by, "requeue-all", null, type, Long.toString(count), count + " dead letters requeued");
        return count;
    }

    @Override
    public long purgeDead(@Nullable String type, Instant before) {
        return purgeDead(type, before, UNNAMED);
    }

    @Override
    public long purgeDead(@Nullable String type, Instant before, String by) {
        AuditLog.checkBy(by);
        long count = deadLetters.purgeDead(type, before);
        auditLog.record(by, "purge-dead", null, type, Long.toString(count), count + " dead letters dead before " + before
                + " purged");
        return count;
    }

    @Override
    public AdminResult cancel(String id, String by) {
        return adminWrites.cancel(id, by);
    }

    @Override
    public AdminResult delete(String id, String by) {
        return adminWrites.delete(id, by);
    }

    @Override
    public AdminResult runNow(String id, String by) {
        return adminWrites.runNow(id, by);
    }

    @Override
    public AdminResult setPriority(String id, int priority, String by) {
        return adminWrites.setPriority(id, priority, by);
    }

    @Override
    public List<AuditRecord> auditLog(String entryId, int limit) {
        return auditLog.read(entryId, limit);
    }

    @Override
    public Schedules schedules() {
        return schedules;
    }

    @Override
    public void ping() {
        try {
            adminDatabase.runCommand(new Document("ping", 1));
        } catch (MongoException e) {
            throw new DatabaseUnavailableException("database behind queue " + store.name + " does not answer: "
                    + OperationRunner.describe(e), e, DocJobsException.Context.of("ping", store.name));
        }
    }

    @Override
    public String name() {
        return store.name;
    }

    @Override
    public Instant now() {
        return store.now();
    }

    @Override
    public void ensureIndexes() {
        indexes.ensure();
    }

    @Override
    public void close() {
        store.runner.close();
        notifier.close();
        if (ownedClient != null) {
            ownedClient.close();
        }
    }

    @Override
    public String toString() {
        return "MongoJobQueue{" + store.name + "}";
    }

    /** Tests only: see {@link OperationRunner.Faults}. */
    void faults(OperationRunner.Faults faults) {
        store.runner.faults(faults);
    }
}
