package io.docjobs.daemon.console;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.DatabaseUnavailableException;
import io.docjobs.QueueStats;
import io.docjobs.SupervisorInfo;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.Test;

/** {@code /api/overview} when the supervisor registry cannot be read but the counts can. */
class OverviewApiTest {

    @Test
    void theCountsStillShowWhenTheRegistryCannotBeReadAndTheFleetSaysWhy() {
        QueueStats stats = new QueueStats(Instant.parse("2026-12-01T12:00:00Z"),
                List.of(new QueueStats.TypeStats("email", 3, 1, 2, 0, 4, Duration.ofSeconds(5))));
        Cached<List<SupervisorInfo>> failing = new Cached<>(() -> {
            throw new DatabaseUnavailableException("not authorized on docjobs.jobs_supervisors", null);
        }, System::nanoTime);
        ConsoleContext context = new ConsoleContext(null, new Cached<>(() -> stats, System::nanoTime), failing,
                new MetricSeries(new SimpleMeterRegistry(), System::nanoTime, System::currentTimeMillis),
                new FleetSeries(System::currentTimeMillis), new Pages(false), false);

        Response response = new OverviewApi(context).handle(new Request("GET", "/api/overview", Map.of(), Map.of(), null));

        assertThat(response.status()).isEqualTo(200);
        Document body = Document.parse(new String(response.body(), StandardCharsets.UTF_8));
        assertThat(((Number) body.get("total", Document.class).get("ready")).longValue()).isEqualTo(3L);
        Document fleet = body.get("fleet", Document.class);
        assertThat(fleet.get("alive")).isNull();
        assertThat(fleet.getString("error")).isEqualTo(
                "the supervisor registry could not be read: not authorized on docjobs.jobs_supervisors");
    }
}
