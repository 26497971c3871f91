package io.docjobs.daemon.console;

import io.docjobs.AuditRecord;
import io.docjobs.JobEntry;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/**
 * {@code GET /api/jobs/{id}}: one job in any state with its payload (indented when JSON, cut at
 * {@link Payloads#MAX_SHOWN_BYTES}), its errors newest first and its audit log (the last
 * {@value JobLookup#AUDIT_SHOWN} records); 404 when there is none (completed jobs are deleted).
 */
final class JobApi implements Endpoint {
    private final ConsoleContext context;

    JobApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/api/jobs/{id}";
    }

    @Override
    public Response handle(Request request) {
        JobEntry entry = JobLookup.find(context, request.pathParam("id"));
        Payloads payload = Payloads.of(entry.payload());
        List<AuditRecord> audit = JobLookup.audit(context, entry);
        List<Document> records = new ArrayList<>(audit.size());
        audit.forEach(record -> records.add(Json.audit(record)));
        return Json.ok(new Document("job", Json.entry(entry).append("payload", new Document("text", payload.text())
                .append("json", payload.json()).append("bytes", payload.bytes()).append("truncated", payload.truncated()))
                .append("errors", Json.errors(entry)).append("cancelRequestedBy", JobLookup.cancelledBy(entry, audit))
                .append("audit", records)));
    }
}
