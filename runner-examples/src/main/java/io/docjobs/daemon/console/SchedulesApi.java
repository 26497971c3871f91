package io.docjobs.daemon.console;

import io.docjobs.Schedules;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/** {@code GET /api/schedules}: every schedule of the queue with its state and next and last times. */
final class SchedulesApi implements Endpoint {
    private final ConsoleContext context;

    SchedulesApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/api/schedules";
    }

    @Override
    public Response handle(Request request) {
        List<Document> schedules = new ArrayList<>();
        for (Schedules.Status status : context.queue().schedules().list()) {
            schedules.add(new Document("id", status.schedule().id()).append("type", status.schedule().type())
                    .append("timing", status.schedule().timing()).append("paused", status.paused())
                    .append("nextTime", Json.time(status.nextTime())).append("lastTime", Json.time(status.lastTime()))
                    .append("lastJobId", status.lastJobId()));
        }
        return Json.ok(new Document("schedules", schedules));
    }
}
