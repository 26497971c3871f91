package io.docjobs.daemon.console;

import java.util.Set;
import org.bson.Document;

/** {@code GET /api/jobs/next?type=&limit=}: the next READY jobs in claim order, without payloads. */
final class NextJobsApi implements Endpoint {
    static final int DEFAULT_LIMIT = 20;
    private final ConsoleContext context;

    NextJobsApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/api/jobs/next";
    }

    @Override
    public Set<String> parameters() {
        return Set.of("type", "limit");
    }

    @Override
    public Response handle(Request request) {
        int limit = request.intParam("limit", DEFAULT_LIMIT, 1, 100);
        return Json.ok(new Document("jobs", Json.entries(context.queue().peek(request.typeParam(), limit))));
    }
}
