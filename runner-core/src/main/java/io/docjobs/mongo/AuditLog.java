package io.docjobs.mongo;

import static com.mongodb.client.model.Filters.eq;
import static io.docjobs.mongo.EntryStore.LOG;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.model.IndexModel;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import io.docjobs.AuditRecord;
import io.docjobs.JobAdmin;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.jspecify.annotations.Nullable;

/**
 * The audit log of admin operations, in {@code <collection>_audit}: one document per operation,
 * {@code {at, by, op, entryId, type, outcome}}, written after the operation's own write. A record
 * that cannot be written is logged at WARN with all it holds, and the operation's outcome still
 * returned: the operation happened, and saying otherwise would invite repeating it.
 */
final class AuditLog {
    static final String AT = "at";
    static final String BY = "by";
    static final String OP = "op";
    static final String ENTRY_ID = "entryId";
    static final String TYPE = "type";
    static final String OUTCOME = "outcome";

    /** One entry's records, newest first: {@code entryId 1, at -1, _id -1} (the id orders records of one millisecond). */
    static final String ENTRY_INDEX = "docjobs_audit_entry";
    /** Expires records after {@link JobAdmin#AUDIT_RETENTION}: {@code at 1}. */
    static final String TTL_INDEX = "docjobs_audit_ttl";

    private final EntryStore store;

    AuditLog(EntryStore store) {
        this.store = store;
    }

    static List<IndexModel> indexes() {
        return List.of(
                new IndexModel(Indexes.compoundIndex(Indexes.ascending(ENTRY_ID), Indexes.descending(AT, "_id")),
                        new IndexOptions().name(ENTRY_INDEX)),
                new IndexModel(Indexes.ascending(AT), new IndexOptions().name(TTL_INDEX)
                        .expireAfter(JobAdmin.AUDIT_RETENTION.toSeconds(), TimeUnit.SECONDS)));
    }

    /** Checks the caller's name before any write: not blank, bounded. */
    static String checkBy(String by) {
        if (by == null || by.isBlank() || by.length() > JobAdmin.MAX_BY_LENGTH) {
            throw new IllegalArgumentException("by was " + (by == null ? "null" : by.isBlank() ? "blank"
                    : by.length() + " characters long") + " but must name who asks (a user or service name), not blank,"
                    + " at most " + JobAdmin.MAX_BY_LENGTH + " characters");
        }
        return by;
    }

    /** Logs the operation at INFO and appends its record. */
    void record(String by, String operation, @Nullable String entryId, @Nullable String type, String outcome,
            String description) {
        LOG.info("admin {} by {}{}{}: {} ({})", operation, by, entryId == null ? "" : " on " + entryId,
                type == null ? "" : " (type " + type + ")", outcome, description);
        // The id is made once, so a retry after a lost reply cannot write the record twice.
        Document record = new Document("_id", new ObjectId()).append(AT, Date.from(store.now())).append(BY, by)
                .append(OP, operation).append(ENTRY_ID, entryId).append(TYPE, type).append(OUTCOME, outcome);
        try {
            store.runner.runVoid("audit record of " + operation, attempt -> {
                try {
                    store.audit.insertOne(record);
                } catch (MongoWriteException e) {
                    if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                        throw e;
                    }
                }
            });
        } catch (RuntimeException e) {
            LOG.warn("could not write the audit record {} of an admin operation that did take place: {}", record.toJson(),
                    OperationRunner.describe(e));
        }
    }

    List<AuditRecord> read(String entryId, int limit) {
        Entries.objectId(entryId); // checks the id's form
        Arguments.checkLimit(limit);
        return store.runner.run("audit log of " + entryId, entryId, attempt -> {
            List<AuditRecord> records = new ArrayList<>();
            store.audit.find(eq(ENTRY_ID, entryId)).sort(Sorts.descending(AT, "_id")).limit(limit)
                    .forEach(record -> records.add(toRecord(record)));
            return records;
        });
    }

    private static AuditRecord toRecord(Document record) {
        Date at = record.getDate(AT);
        return new AuditRecord(at == null ? Instant.EPOCH : at.toInstant(), String.valueOf(record.get(BY)),
                String.valueOf(record.get(OP)), record.getString(ENTRY_ID), record.getString(TYPE),
                String.valueOf(record.get(OUTCOME)));
    }
}
