package io.docjobs.daemon.console;

import io.docjobs.JobEntry;
import org.bson.Document;

/**
 * {@code GET /api/jobs/{id}}: one job in any state with its payload (indented when JSON, cut at
 * {@link Payloads#MAX_SHOWN_BYTES}); 404 when there is none (completed jobs are deleted).
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
        return Json.ok(new Document("job", Json.entry(entry).append("payload", new Document("text", payload.text())
                .append("json", payload.json()).append("bytes", payload.bytes()).append("truncated", payload.truncated()))));
    }
}
