package io.docjobs.daemon.console;

import io.docjobs.QueueStats;
import io.docjobs.SupervisorInfo;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/**
 * {@code GET /api/overview}: the counts per type and the chart series of this daemon (its meters)
 * and of the fleet (the supervisor registry, both reads cached, see {@link Cached}); what the
 * overview page polls.
 */
final class OverviewApi implements Endpoint {
    private final ConsoleContext context;

    OverviewApi(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/api/overview";
    }

    @Override
    public Response handle(Request request) {
        QueueStats stats = context.stats().get();
        List<Document> types = new ArrayList<>();
        for (QueueStats.TypeStats row : stats.byType()) {
            types.add(counts(new Document("type", row.type()), row.ready(), row.delayed(), row.leased(),
                    row.expiredLeases(), row.dead()).append("oldestReadyAgeMs", row.oldestReadyAge().toMillis()));
        }
        Document total = counts(new Document(), stats.ready(), stats.delayed(), stats.leased(), stats.expiredLeases(),
                stats.dead()).append("oldestReadyAgeMs", stats.oldestReadyAge().toMillis());
        return Json.ok(new Document("at", Json.time(stats.at())).append("types", types).append("total", total)
                .append("series", Json.series("this daemon", context.series().points()))
                .append("fleet", fleet())
                .append("writesEnabled", context.writes()));
    }

    /**
     * The fleet's series and how many supervisors are alive; without them, with the reason, when the
     * registry cannot be read (a database user with no rights on it): the counts above still show.
     */
    private Document fleet() {
        Long alive = null;
        String error = null;
        try {
            List<SupervisorInfo> supervisors = context.supervisors().get(); // a new read adds a point to the series
            alive = supervisors.stream().filter(s -> s.status() == SupervisorInfo.Status.ALIVE).count();
        } catch (RuntimeException e) {
            error = "the supervisor registry could not be read: " + e.getMessage();
        }
        Document fleet = Json.series("fleet", context.fleet().points()).append("alive", alive);
        return error == null ? fleet : fleet.append("error", error);
    }

    private static Document counts(Document row, long ready, long delayed, long leased, long expired, long dead) {
        return row.append("ready", ready).append("delayed", delayed).append("leased", leased)
                .append("expiredLeases", expired).append("dead", dead);
    }
}
