package io.docjobs.daemon.console;

import io.docjobs.AdminResult;
import java.util.Set;
import org.bson.Document;

/**
 * {@code POST /api/jobs/{id}/cancel}, {@code /delete}, {@code /run-now} and
 * {@code /priority?priority=N}: one admin operation on one job, recorded in the audit log with who
 * asked (see {@link Operator}). 200 with the {@link AdminResult} ({@code status}, {@code changed}, {@code by}, {@code message})
 * when it was done or nothing was left to do; 404 when there is no such job; 409 when the job's
 * state refuses it, the sentence saying what to do as the hint. A write action.
 */
final class JobActionApi implements Endpoint {
    private final ConsoleContext context;
    private final AdminResult.Operation operation;

    JobActionApi(ConsoleContext context, AdminResult.Operation operation) {
        this.context = context;
        this.operation = operation;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public String path() {
        return "/api/jobs/{id}/" + operation.label();
    }

    @Override
    public Set<String> parameters() {
        return operation == AdminResult.Operation.SET_PRIORITY ? Set.of("priority") : Set.of();
    }

    @Override
    public Response handle(Request request) {
        String id = JobLookup.checked(request.pathParam("id"));
        String by = request.operator();
        AdminResult result = switch (operation) {
            case CANCEL -> context.queue().cancel(id, by);
            case DELETE -> context.queue().delete(id, by);
            case RUN_NOW -> context.queue().runNow(id, by);
            case SET_PRIORITY -> context.queue().setPriority(id, priority(request), by);
        };
        context.stats().invalidate();
        return switch (result.status()) {
            case NOT_FOUND -> throw HttpError.notFound(result.describe(), "reload the page: the job is gone");
            case WRONG_STATE -> throw new HttpError(409, operation.label() + " refused: job " + id + " is "
                    + result.state().stored(), result.describe());
            default -> Json.ok(new Document("status", result.status().name()).append("operation", operation.label())
                    .append("id", result.id()).append("changed", result.changed()).append("by", by)
                    .append("message", result.describe()));
        };
    }

    private static int priority(Request request) {
        if (request.param("priority") == null) {
            throw HttpError.badRequest("priority is missing", "pass priority=N, a whole number; higher is claimed first");
        }
        return request.intParam("priority", 0, Integer.MIN_VALUE, Integer.MAX_VALUE);
    }
}
