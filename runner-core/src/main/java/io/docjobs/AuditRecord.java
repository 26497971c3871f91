package io.docjobs;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * One admin operation as the audit log keeps it: who did what to which entry, when, and what came
 * of it. Written by every admin write of {@link JobAdmin} after the write itself, refusals included,
 * into the collection {@code <collection>_audit}; read with {@link JobAdmin#auditLog}. Kept for
 * {@link JobAdmin#AUDIT_RETENTION} by a TTL index (on servers that serve TTL indexes).
 *
 * @param at        when, in database time
 * @param by        who asked, as the caller named them
 * @param operation what was asked: an {@link AdminResult.Operation#label()}, or {@code requeue},
 *                  {@code requeue-all} or {@code purge-dead}
 * @param entryId   the entry; null for operations on many entries
 * @param type      the entry's type, or the type filter of an operation on many entries; null
 *                  when unknown (no such entry) or for all types
 * @param outcome   what came of it: an {@link AdminResult.Status} or {@link RequeueResult.Status}
 *                  name, or for operations on many entries how many were changed (e.g. {@code "12"})
 */
public record AuditRecord(Instant at, String by, String operation, @Nullable String entryId, @Nullable String type,
        String outcome) {
    /**
     * Checks that the required fields are given.
     *
     * @param at        when
     * @param by        who
     * @param operation what
     * @param entryId   which entry, or null
     * @param type      which type, or null
     * @param outcome   what came of it
     * @throws IllegalArgumentException if {@code at}, {@code by}, {@code operation} or {@code outcome} is null
     */
    public AuditRecord {
        Bounds.notNull(at, "at");
        Bounds.notNull(by, "by");
        Bounds.notNull(operation, "operation");
        Bounds.notNull(outcome, "outcome");
    }
}
