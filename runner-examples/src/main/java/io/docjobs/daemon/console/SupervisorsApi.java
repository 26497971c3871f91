package io.docjobs.daemon.console;

import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/**
 * {@code GET /api/supervisors}: every supervisor in the queue's registry (ALIVE, GONE or STOPPED)
 * with its counts, and for a GONE one the leases it still holds; cached as the overview's read is.
 */
final class SupervisorsApi implements Endpoint {
    private final ConsoleContext context;

    SupervisorsApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/api/supervisors";
    }

    @Override
    public Response handle(Request request) {
        List<Document> supervisors = new ArrayList<>();
        context.supervisors().get().forEach(info -> supervisors.add(Json.supervisor(info)));
        return Json.ok(new Document("supervisors", supervisors));
    }
}
