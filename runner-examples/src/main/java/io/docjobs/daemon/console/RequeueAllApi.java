package io.docjobs.daemon.console;

import java.util.Set;
import org.bson.Document;

/**
 * {@code POST /api/dead-letters/requeue?type=}: requeues every dead letter of the type (of every
 * type without one); those whose dedup key an unfinished job holds stay dead. A write action.
 */
final class RequeueAllApi implements Endpoint {
    private final ConsoleContext context;

    RequeueAllApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public String path() {
        return "/api/dead-letters/requeue";
    }

    @Override
    public Set<String> parameters() {
        return Set.of("type");
    }

    @Override
    public Response handle(Request request) {
        String type = request.typeParam();
        long requeued = context.queue().requeueAllDead(type, request.operator());
        context.stats().invalidate();
        return Json.ok(new Document("requeued", requeued).append("type", type));
    }
}
