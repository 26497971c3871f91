package io.docjobs.daemon.console;

import io.docjobs.QueueStats;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;

/**
 * {@code GET /api/overview}: the counts per type (cached, see {@link StatsCache}) and this
 * daemon's chart series; what the overview page polls.
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
        List<Document> points = new ArrayList<>();
        for (MetricSeries.Point point : context.series().points()) {
            points.add(new Document("t", point.epochMillis()).append("succeeded", round(point.succeeded()))
                    .append("failed", round(point.failed()))
                    .append("queueWaitMs", point.queueWaitMs() < 0 ? null : round(point.queueWaitMs())));
        }
        return Json.ok(new Document("at", Json.time(stats.at())).append("types", types).append("total", total)
                .append("series", new Document("scope", "this daemon")
                        .append("intervalMs", MetricSeries.INTERVAL.toMillis()).append("points", points))
                .append("writesEnabled", context.writes()));
    }

    private static Document counts(Document row, long ready, long delayed, long leased, long expired, long dead) {
        return row.append("ready", ready).append("delayed", delayed).append("leased", leased)
                .append("expiredLeases", expired).append("dead", dead);
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }
}
