package io.docjobs.daemon.console;

import io.docjobs.DeadLetterPage;
import java.util.Set;
import org.bson.Document;

/**
 * {@code GET /api/dead-letters?type=&after=&limit=}: one page of dead letters, newest first; pass
 * {@code next} as {@code after} to read older ones.
 */
final class DeadLettersApi implements Endpoint {
    static final int DEFAULT_LIMIT = 50;
    private final ConsoleContext context;

    DeadLettersApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/api/dead-letters";
    }

    @Override
    public Set<String> parameters() {
        return Set.of("type", "after", "limit");
    }

    @Override
    public Response handle(Request request) {
        int limit = request.intParam("limit", DEFAULT_LIMIT, 1, 500);
        DeadLetterPage page = context.queue().deadLetters(request.typeParam(), request.param("after"), limit);
        return Json.ok(new Document("deadLetters", Json.entries(page.entries())).append("next", page.next()));
    }
}
