package io.docjobs.daemon.console;

import io.docjobs.JobEntry;
import io.docjobs.JobError;
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
                .append("deadAt", time(entry.deadAt()));
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
