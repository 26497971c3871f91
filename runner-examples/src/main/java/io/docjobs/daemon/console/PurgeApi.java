package io.docjobs.daemon.console;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Set;
import org.bson.Document;

/**
 * {@code POST /api/dead-letters/purge?type=&before=}: deletes for good the dead letters of the type
 * that died before {@code before} (ISO-8601; default now, database time). Purging every type needs
 * {@code allTypes=true}, so a forgotten filter cannot empty the dead letters. A write action.
 */
final class PurgeApi implements Endpoint {
    private final ConsoleContext context;

    PurgeApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public String path() {
        return "/api/dead-letters/purge";
    }

    @Override
    public Set<String> parameters() {
        return Set.of("type", "before", "allTypes");
    }

    @Override
    public Response handle(Request request) {
        String type = request.typeParam();
        boolean allTypes = "true".equals(request.param("allTypes"));
        if (type == null && !allTypes) {
            throw HttpError.badRequest("purge needs a type, or allTypes=true to purge the dead letters of every type",
                    "pass type=<type>, or allTypes=true");
        }
        if (type != null && allTypes) {
            throw HttpError.badRequest("type and allTypes=true were both given", "pass one of them");
        }
        Instant before = before(request.param("before"));
        long purged = context.queue().purgeDead(type, before, request.operator());
        context.stats().invalidate();
        return Json.ok(new Document("purged", purged).append("type", type).append("before", before.toString()));
    }

    private Instant before(String text) {
        if (text == null) {
            return context.queue().now();
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw HttpError.badRequest("before was \"" + text + "\" but must be an ISO-8601 time",
                    "for example 2026-12-01T00:00:00Z, or leave it out for now");
        }
    }
}
