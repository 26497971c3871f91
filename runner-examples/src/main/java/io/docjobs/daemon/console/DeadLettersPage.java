package io.docjobs.daemon.console;

import io.docjobs.DeadLetterPage;
import java.util.Set;

/**
 * {@code GET /dead-letters?type=&after=}: dead letters newest first, filtered by type, paged
 * towards older ones; requeue one, requeue all matching, purge all matching.
 */
final class DeadLettersPage implements Endpoint {
    private final ConsoleContext context;

    DeadLettersPage(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/dead-letters";
    }

    @Override
    public Set<String> parameters() {
        return Set.of("type", "after");
    }

    @Override
    public Response handle(Request request) {
        String type = request.typeParam();
        String after = request.param("after");
        DeadLetterPage page = context.queue().deadLetters(type, after, DeadLettersApi.DEFAULT_LIMIT);
        return context.pages().render("deadLetters", new Views.DeadLetters(
                context.pages().frame("Dead letters", "dead-letters"), type == null ? "" : type,
                after == null ? "" : after, page.entries(), page.next()));
    }
}
