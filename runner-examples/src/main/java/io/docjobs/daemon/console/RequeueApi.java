package io.docjobs.daemon.console;

import io.docjobs.RequeueResult;
import org.bson.Document;

/**
 * {@code POST /api/dead-letters/{id}/requeue}: makes one dead letter READY with its attempts reset.
 * 200 when requeued; 404 when there is no such job; 409 when it is not dead or another job holds
 * its dedup key. A write action.
 */
final class RequeueApi implements Endpoint {
    private final ConsoleContext context;

    RequeueApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public String path() {
        return "/api/dead-letters/{id}/requeue";
    }

    @Override
    public Response handle(Request request) {
        RequeueResult result = context.queue().requeueDead(JobLookup.checked(request.pathParam("id")),
                request.operator());
        context.stats().invalidate();
        return switch (result.status()) {
            case REQUEUED -> Json.ok(new Document("status", result.status().name()).append("id", result.id())
                    .append("message", result.describe()));
            case NOT_FOUND -> throw HttpError.notFound(result.describe(), "reload the dead letters");
            case NOT_DEAD, DEDUP_KEY_HELD -> throw new HttpError(409, result.describe(),
                    result.status() == RequeueResult.Status.NOT_DEAD ? "only dead letters can be requeued"
                            : "requeue it after the holder finishes, or purge it");
        };
    }
}
