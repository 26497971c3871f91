package io.docjobs.daemon.console;

import java.util.Set;
import org.bson.Document;

/**
 * {@code GET /api/jobs?state=&type=&order=&dedupKey=&after=&limit=}: one page of jobs without
 * payloads (see {@link JobFilter}); pass {@code next} as {@code after} for the following page.
 */
final class JobsApi implements Endpoint {
    private final ConsoleContext context;

    JobsApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/api/jobs";
    }

    @Override
    public Set<String> parameters() {
        return JobFilter.PARAMETERS;
    }

    @Override
    public Response handle(Request request) {
        io.docjobs.JobPage page = context.queue().jobs(JobFilter.of(request).query());
        return Json.ok(new Document("jobs", Json.entries(page.entries())).append("next", page.next()));
    }
}
