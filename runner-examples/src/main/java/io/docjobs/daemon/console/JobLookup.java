package io.docjobs.daemon.console;

import io.docjobs.AdminResult;
import io.docjobs.AuditRecord;
import io.docjobs.JobEntry;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/** Reads one job by id, and its audit log, for the API and the job page, with the same 400 and 404. */
final class JobLookup {
    /** The audit records shown for one job. */
    static final int AUDIT_SHOWN = 50;

    private static final Pattern OBJECT_ID = Pattern.compile("[0-9a-fA-F]{24}");

    private JobLookup() {
    }

    /**
     * @throws HttpError 400 for an id that is no id, 404 for an unknown one
     */
    static JobEntry find(ConsoleContext context, String id) {
        return context.queue().get(checked(id)).orElseThrow(() -> HttpError.notFound("no job with id " + id,
                "it completed (completed jobs are deleted), was purged, or never existed"));
    }

    /** {@return what operators did to the job, newest first} */
    static List<AuditRecord> audit(ConsoleContext context, JobEntry entry) {
        return context.queue().auditLog(entry.id(), AUDIT_SHOWN);
    }

    /** {@return who asked to cancel the job's running attempt, from its audit log; null if none did} */
    static @Nullable String cancelledBy(JobEntry entry, List<AuditRecord> audit) {
        if (entry.cancelRequestedAt() == null) {
            return null;
        }
        return audit.stream().filter(record -> record.operation().equals(AdminResult.Operation.CANCEL.label())
                && record.outcome().equals(AdminResult.Status.CANCEL_REQUESTED.name()))
                .map(AuditRecord::by).findFirst().orElse(null);
    }

    static String checked(String id) {
        if (!OBJECT_ID.matcher(id).matches()) {
            throw HttpError.badRequest("id \"" + (id.length() > 40 ? id.substring(0, 40) + "…" : id)
                    + "\" is not a job id", "a job id is 24 hexadecimal digits, as the lists show it");
        }
        return id.toLowerCase(java.util.Locale.ROOT);
    }
}
