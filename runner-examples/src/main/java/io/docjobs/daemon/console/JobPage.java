package io.docjobs.daemon.console;

import io.docjobs.AuditRecord;
import io.docjobs.JobEntry;
import io.docjobs.JobState;
import java.util.List;

/**
 * {@code GET /jobs/{id}}: one job: state, attempts, claimed at, lease holder and deadline, a
 * cancellation asked for, its errors newest first, its audit log, its payload, and the admin
 * actions its state allows.
 */
final class JobPage implements Endpoint {
    private final ConsoleContext context;

    JobPage(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/jobs/{id}";
    }

    @Override
    public Response handle(Request request) {
        JobEntry entry = JobLookup.find(context, request.pathParam("id"));
        List<AuditRecord> audit = JobLookup.audit(context, entry);
        return context.pages().render("job", new Views.Job(context.pages().frame("Job " + entry.id(), "jobs"), entry,
                Payloads.of(entry.payload()), Views.errorsNewestFirst(entry), audit, JobLookup.cancelledBy(entry, audit),
                entry.state() == JobState.READY && entry.visibleAt() != null
                        && entry.visibleAt().isAfter(context.queue().now())));
    }
}
