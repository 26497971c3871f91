package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.JobQueue;
import io.docjobs.Schedule;
import io.docjobs.Schedules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Schedules from the configuration file and from {@code docjobs schedule ...}, against an embedded database. */
class ScheduleCommandsTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final EmbeddedDatabaseExtension database = new EmbeddedDatabaseExtension();
    private JobQueue queue;
    private Path config;

    private static final String BASE = """
            database:
              embedded: true
            embedded:
              port: %d
            discoverHandlers: false
            handlers:
              email.send:
                class: io.docjobs.examples.handlers.SendEmailHandler$Provider
            """;

    @BeforeEach
    void configure() throws IOException {
        config = Files.writeString(dir.resolve("docjobs.yaml"), BASE.formatted(database.port()));
        queue = database.queue();
    }

    private Cli.Result run(String... args) {
        return Cli.run(config, args);
    }

    private DaemonConfig load(String schedules) throws IOException {
        Path file = Files.writeString(dir.resolve("with-schedules.yaml"), BASE.formatted(database.port()) + schedules);
        return new ConfigLoader(Map.of()).load(file, true);
    }

    @Test
    void theConfigurationFileDefinesSchedules() throws IOException {
        DaemonConfig loaded = load("""
                schedules:
                  nightly:
                    type: email.send
                    cron: "30 2 * * *"
                    zone: Europe/Berlin
                    payload: {to: ops@example.com}
                    priority: 4
                    maxAttempts: 2
                    jitter: 30s
                    misfire: catchUp(3)
                    misfireThreshold: 5m
                    overlap: skipIfRunning
                  cleanup:
                    type: email.send
                    interval: 15m
                    paused: true
                """);

        assertThat(loaded.schedules()).containsExactly(
                Schedule.builder("nightly", "email.send").cron("30 2 * * *").zone(ZoneId.of("Europe/Berlin"))
                        .payload(new Document("to", "ops@example.com")).priority(4).maxAttempts(2)
                        .jitter(Duration.ofSeconds(30)).misfire(Schedule.Misfire.catchUp(3))
                        .misfireThreshold(Duration.ofMinutes(5)).overlap(Schedule.Overlap.SKIP_IF_RUNNING).build(),
                Schedule.builder("cleanup", "email.send").interval(Duration.ofMinutes(15)).paused(true).build());
    }

    @Test
    void everyBadScheduleSettingIsReportedAtOnceWithTheFileAndTheKey() {
        assertThatThrownBy(() -> load("""
                schedules:
                  nightly:
                    type: email.send
                    cron: "99 2 * * *"
                    zone: Mars/Olympus
                  often:
                    type: email.send
                    interval: 0s
                  odd:
                    type: email.send
                    interval: 1m
                    misfire: sometimes
                    overlap: never
                    colour: blue
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("with-schedules.yaml: schedules.nightly.zone was \"Mars/Olympus\" but must be a time"
                        + " zone id such as Europe/Berlin or UTC")
                .hasMessageContaining("with-schedules.yaml: schedules.nightly.cron was \"99 2 * * *\" but must be a cron"
                        + " expression")
                .hasMessageContaining("with-schedules.yaml: schedules.often.interval was \"0s\" but must be a positive"
                        + " duration")
                .hasMessageContaining("with-schedules.yaml: schedules.odd.misfire was \"sometimes\" but must be skip,"
                        + " fireOnce or catchUp(N)")
                .hasMessageContaining("with-schedules.yaml: schedules.odd.overlap was \"never\" but must be allow or"
                        + " skipIfRunning")
                .hasMessageContaining("with-schedules.yaml: schedules.odd: unknown key \"colour\"");
    }

    @Test
    void addListPauseResumeTriggerAndRemove() {
        Cli.Result added = run("schedule", "add", "digest", "--type", "email.send", "--cron", "0 8 * * 1-5",
                "--zone", "Europe/Berlin", "--payload", "{\"to\": \"team@example.com\"}", "--misfire", "fireOnce");

        assertThat(added.code()).as(added.err()).isZero();
        assertThat(added.out()).startsWith("defined digest: next ");
        Schedules.Status stored = queue.schedules().get("digest").orElseThrow();
        assertThat(stored.schedule().misfire()).isEqualTo(Schedule.Misfire.fireOnce());
        assertThat(stored.schedule().payloadDocument()).isEqualTo(new Document("to", "team@example.com"));

        assertThat(run("schedule", "list").out()).contains("digest").contains("email.send").contains("active")
                .contains("cron \"0 8 * * 1-5\" in Europe/Berlin").contains("last never");
        assertThat(run("schedule", "pause", "digest").out()).isEqualTo("paused digest" + System.lineSeparator());
        assertThat(run("schedule", "list").out()).contains("paused");
        assertThat(run("schedule", "resume", "digest").out()).isEqualTo("resumed digest" + System.lineSeparator());

        Cli.Result triggered = run("schedule", "trigger", "digest");
        assertThat(queue.get(triggered.out().trim()).orElseThrow().payload()).contains("team@example.com");
        assertThat(run("stats").out()).contains("schedules:").contains("digest");

        assertThat(run("schedule", "remove", "digest").code()).isZero();
        assertThat(queue.schedules().list()).isEmpty();
        Cli.Result missing = run("schedule", "pause", "digest");
        assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("no schedule digest");
        assertThat(run("schedule", "trigger", "digest").code()).isEqualTo(ExitCodes.NOT_FOUND);
    }

    @Test
    void addRefusesBadInputNamingTheScheduleTheFieldAndTheRule() {
        Cli.Result noHandler = run("schedule", "add", "x", "--type", "report.render", "--every", "1h");
        Cli.Result badCron = run("schedule", "add", "x", "--type", "email.send", "--cron", "not a cron");
        Cli.Result badZone = run("schedule", "add", "x", "--type", "email.send", "--cron", "* * * * *", "--zone", "Nowhere");
        Cli.Result both = run("schedule", "add", "x", "--type", "email.send", "--cron", "* * * * *", "--every", "1m");

        assertThat(List.of(noHandler.code(), badCron.code(), badZone.code(), both.code())).containsOnly(ExitCodes.CONFIG);
        assertThat(noHandler.err()).contains("schedule \"x\": type was \"report.render\" but must be a type a handler"
                + " of this configuration serves [email.send]");
        assertThat(badCron.err()).contains("schedule \"x\": cron was \"not a cron\" but must be a cron expression");
        assertThat(badZone.err()).contains("schedule \"x\": zone was \"Nowhere\" but must be a time zone id");
        assertThat(both.err()).contains("give exactly one of --cron and --every");
        assertThat(queue.schedules().list()).isEmpty();
    }
}
