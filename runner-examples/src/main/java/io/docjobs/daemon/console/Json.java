package io.docjobs.daemon.console;

import io.docjobs.AuditRecord;
import io.docjobs.JobEntry;
import io.docjobs.JobError;
import io.docjobs.SupervisorInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.jspecify.annotations.Nullable;

/**
 * The console API's JSON: documents written in relaxed mode (plain numbers, strings, booleans),
 * times as ISO-8601 text, and the mapping of entries. No JSON library beyond the driver's BSON.
 */
final class Json {
    private static final JsonWriterSettings PLAIN = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

    private Json() {
    }

    static String write(Document document) {
        return document.toJson(PLAIN);
    }

    static Response ok(Document document) {
        return Response.json(write(document));
    }

    static Response error(HttpError error) {
        return Response.json(error.status(), write(new Document("error", error.getMessage()).append("hint", error.hint())));
    }

    static @Nullable String time(@Nullable Instant instant) {
        return instant == null ? null : instant.toString();
    }

    /** An entry without its payload, as lists show it. */
    static Document entry(JobEntry entry) {
        return new Document("id", entry.id()).append("type", entry.type())
                .append("state", entry.state() == null ? null : entry.state().name())
                .append("priority", entry.priority()).append("attempts", entry.attempts())
                .append("maxAttempts", entry.maxAttempts()).append("enqueuedAt", time(entry.enqueuedAt()))
                .append("visibleAt", time(entry.visibleAt())).append("dedupKey", entry.dedupKey())
                .append("workerId", entry.workerId()).append("lastError", error(entry.lastError()))
                .append("deadAt", time(entry.deadAt())).append("claimedAt", time(entry.claimedAt()))
                .append("cancelRequestedAt", time(entry.cancelRequestedAt()));
    }

    /** The errors of an entry's attempts, newest first, as the job page lists them. */
    static List<Document> errors(JobEntry entry) {
        List<Document> out = new ArrayList<>();
        Views.errorsNewestFirst(entry).forEach(error -> out.add(error(error)));
        return out;
    }

    static Document audit(AuditRecord record) {
        return new Document("at", time(record.at())).append("by", record.by()).append("operation", record.operation())
                .append("entryId", record.entryId()).append("type", record.type()).append("outcome", record.outcome());
    }

    static Document supervisor(SupervisorInfo info) {
        SupervisorInfo.Counts counts = info.counts();
        return new Document("id", info.id()).append("name", info.name()).append("host", info.host())
                .append("version", info.version()).append("status", info.status().name()).append("types", info.types())
                .append("workers", info.workers()).append("inFlight", info.inFlight())
                .append("startedAt", time(info.startedAt())).append("lastSeen", time(info.lastSeen()))
                .append("stoppedAt", time(info.stoppedAt())).append("intervalMs", info.interval().toMillis())
                .append("heldLeases", info.heldLeases()).append("heldLeaseCount", info.heldLeaseCount())
                .append("counts", new Document("claimed", counts.claimed()).append("succeeded", counts.succeeded())
                        .append("retried", counts.retried()).append("deadLettered", counts.deadLettered())
                        .append("timedOut", counts.timedOut()).append("leaseLost", counts.leaseLost())
                        .append("abandoned", counts.abandoned()).append("queueWaitMillis", counts.queueWaitMillis())
                        .append("queueWaitCount", counts.queueWaitCount()));
    }

    /** A chart series: its scope and points, rates rounded to hundredths. */
    static Document series(String scope, List<MetricSeries.Point> points) {
        List<Document> out = new ArrayList<>(points.size());
        for (MetricSeries.Point point : points) {
            out.add(new Document("t", point.epochMillis()).append("succeeded", round(point.succeeded()))
                    .append("failed", round(point.failed()))
                    .append("queueWaitMs", point.queueWaitMs() < 0 ? null : round(point.queueWaitMs())));
        }
        return new Document("scope", scope).append("intervalMs", MetricSeries.INTERVAL.toMillis()).append("points", out);
    }

    private static double round(double value) {
        return Math.round(value * 100) / 100.0;
    }

    static @Nullable Document error(@Nullable JobError error) {
        if (error == null) {
            return null;
        }
        return new Document("message", error.message()).append("exceptionClass", error.exceptionClass())
                .append("at", time(error.at())).append("workerId", error.workerId()).append("attempt", error.attempt());
    }

    static List<Document> entries(List<JobEntry> entries) {
        List<Document> out = new ArrayList<>(entries.size());
        entries.forEach(entry -> out.add(entry(entry)));
        return out;
    }
}
