package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.JobError;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Each admin command end to end against an embedded database, as a daemon on this host would run it. */
class AdminCommandsTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final EmbeddedDatabaseExtension database = new EmbeddedDatabaseExtension();
    private JobQueue queue;
    private Path config;

    @BeforeEach
    void configure() throws IOException {
        config = Files.writeString(dir.resolve("docjobs.yaml"), """
                database:
                  embedded: true
                embedded:
                  port: %d
                discoverHandlers: false
                handlers:
                  email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                """.formatted(database.port()));
        queue = database.queue();
    }

    private Cli.Result run(String... args) {
        return Cli.run(config, args);
    }

    @Test
    void enqueuePrintsTheIdAndTheJobIsInTheQueue() {
        Cli.Result result = run("enqueue", "--type", "email.send", "--payload", "{\"to\": \"a@example.com\"}",
                "--priority", "3", "--delay", "10s", "--max-attempts", "2");

        assertThat(result.code()).isZero();
        String id = result.out().trim();
        var entry = queue.get(id).orElseThrow();
        assertThat(entry.priority()).isEqualTo(3);
        assertThat(entry.maxAttempts()).isEqualTo(2);
        assertThat(entry.visibleAt()).isAfter(entry.enqueuedAt().plusSeconds(9));
        assertThat(entry.payload()).contains("a@example.com");
    }

    @Test
    void enqueueFromAFileAndWithADedupKey() throws IOException {
        Path payload = Files.writeString(dir.resolve("job.json"), "{\"to\": \"b@example.com\"}");

        Cli.Result first = run("enqueue", "--type", "email.send", "--payload", "@" + payload, "--dedup-key", "welcome-b");
        Cli.Result second = run("enqueue", "--type", "email.send", "--payload", "@" + payload, "--dedup-key", "welcome-b");

        assertThat(second.out()).startsWith(first.out().trim()).contains("duplicate");
        assertThat(queue.stats().ready()).isEqualTo(1);
    }

    @Test
    void enqueueRejectsMalformedJsonWithExitCode2AndEnqueuesNothing() {
        Cli.Result result = run("enqueue", "--type", "email.send", "--payload", "{not json");

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("--payload is not a JSON object").contains("--text");
        assertThat(queue.stats().byType()).isEmpty();
    }

    @Test
    void statsShowsCountsAndTypesWithoutAHandler() {
        queue.enqueue("email.send", "x", Duration.ofSeconds(30));
        queue.enqueue("orphan.type", "y", Duration.ofSeconds(30));

        Cli.Result result = run("stats");

        assertThat(result.code()).isZero();
        assertThat(result.out()).contains("TYPE").contains("email.send").contains("orphan.type")
                .contains("types with no handler in this configuration: orphan.type");
    }

    @Test
    void peekListsReadyJobsInClaimOrder() {
        String low = queue.enqueue(JobRequest.builder("email.send").payload("low").build()).id();
        String high = queue.enqueue(JobRequest.builder("email.send").payload("high").priority(9).build()).id();

        Cli.Result result = run("peek", "--limit", "5");

        assertThat(result.out().indexOf(high)).isNotNegative().isLessThan(result.out().indexOf(low));
        assertThat(result.out()).as("lists leave payloads out").doesNotContain("payload");
    }

    @Test
    void deadListEndsAFullPageWithTheCommandForTheNextOne() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(queue.enqueue(JobRequest.builder("email.send").payload("poison " + i).maxAttempts(1).build()).id());
            queue.deadLetter(queue.claim(Set.of("email.send"), "test").orElseThrow(), JobError.of("boom"));
        }
        ids.sort(Comparator.reverseOrder());

        Cli.Result first = run("dead", "list", "--type", "email.send", "--limit", "2");
        String next = first.out().lines().filter(line -> line.startsWith("next page: ")).findFirst().orElseThrow();
        assertThat(next).startsWith("next page: docjobs dead list --type=email.send --after=").endsWith(" --limit 2");
        String cursor = next.replaceAll(".*--after=(\\S+).*", "$1");
        Cli.Result second = run("dead", "list", "--type", "email.send", "--after=" + cursor, "--limit", "2");

        assertThat(first.out()).contains(ids.get(0), ids.get(1)).doesNotContain(ids.get(2));
        assertThat(second.out()).contains(ids.get(2)).doesNotContain(ids.get(0)).doesNotContain("next page");
        Cli.Result bad = run("dead", "list", "--after", "nonsense");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("after was \"nonsense\" but must be the next cursor of a dead-letter page");
    }

    @Test
    void deadListRequeueAndPurge() {
        String id = queue.enqueue(JobRequest.builder("email.send").payload("poison").maxAttempts(1).build()).id();
        Lease lease = queue.claim(Set.of("email.send"), "test").orElseThrow();
        queue.release(lease, Duration.ZERO, JobError.of(new IllegalStateException("smtp said no")));

        Cli.Result list = run("dead", "list");
        assertThat(list.out()).contains(id).contains("java.lang.IllegalStateException: smtp said no");

        assertThat(run("dead", "requeue", id).out()).contains("requeued " + id);
        assertThat(queue.get(id).orElseThrow().attempts()).isZero();
        Cli.Result again = run("dead", "requeue", id);
        assertThat(again.code()).as("no longer dead").isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(again.err()).contains("job " + id + " is ready, not dead: nothing to requeue");

        queue.deadLetter(queue.claim(Set.of("email.send"), "test").orElseThrow(), JobError.of("again"));
        assertThat(run("dead", "requeue", "--all").out()).contains("requeued 1 dead letters");
        queue.deadLetter(queue.claim(Set.of("email.send"), "test").orElseThrow(), JobError.of("again"));
        assertThat(run("dead", "purge").out()).contains("purged 1 dead letters");
        assertThat(queue.get(id)).isEmpty();
    }

    @Test
    void jobCancelRemovesAWaitingJobAndAsksARunningOneToStopRecordingWhoAsked() {
        String waiting = queue.enqueue(JobRequest.builder("email.send").payload("later").delay(Duration.ofHours(1)).build()).id();
        String running = queue.enqueue(JobRequest.builder("email.send").payload("now").build()).id();
        queue.claim(Set.of("email.send"), "worker-1").orElseThrow();

        Cli.Result cancelled = run("job", "cancel", waiting, "--by", "alice");
        Cli.Result requested = run("job", "cancel", running);

        assertThat(cancelled.code()).isZero();
        assertThat(cancelled.out()).contains("cancelled job " + waiting);
        assertThat(queue.get(waiting)).isEmpty();
        assertThat(requested.code()).isZero();
        assertThat(requested.out()).contains("requested cancellation of running job " + running).contains("next heartbeat");
        assertThat(queue.auditLog(waiting, 10)).singleElement().extracting(record -> record.by()).isEqualTo("alice");
        assertThat(queue.auditLog(running, 10)).singleElement().extracting(record -> record.by())
                .as("the operating-system user by default").isEqualTo(System.getProperty("user.name"));
    }

    @Test
    void jobDeleteRefusesARunningJobWithExitCode4AndAdvice() {
        String id = queue.enqueue(JobRequest.builder("email.send").payload("now").build()).id();
        queue.claim(Set.of("email.send"), "worker-1").orElseThrow();

        Cli.Result refused = run("job", "delete", id);

        assertThat(refused.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(refused.err()).contains("job " + id + " is leased").contains("cancel it first");
        assertThat(refused.out()).isEmpty();
        assertThat(queue.get(id)).isPresent();
        String unknown = new ObjectId().toHexString();
        Cli.Result missing = run("job", "delete", unknown);
        assertThat(missing.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(missing.err()).contains("no job with id " + unknown);
    }

    @Test
    void jobRunNowAndPriorityChangeAWaitingJob() {
        String id = queue.enqueue(JobRequest.builder("email.send").payload("later").delay(Duration.ofHours(1)).build()).id();

        Cli.Result runNow = run("job", "run-now", id, "--by", "ops");
        Cli.Result priority = run("job", "priority", id, "9", "--by", "ops");
        Cli.Result again = run("job", "run-now", id);

        assertThat(runNow.code()).isZero();
        assertThat(runNow.out()).contains("job " + id + " is due now");
        assertThat(priority.code()).isZero();
        assertThat(priority.out()).contains("changed the priority of job " + id);
        var entry = queue.get(id).orElseThrow();
        assertThat(entry.priority()).isEqualTo(9);
        assertThat(entry.visibleAt()).isBefore(entry.enqueuedAt().plus(Duration.ofMinutes(1)));
        assertThat(again.code()).as("due already: nothing to do, not an error").isZero();
        assertThat(again.out()).contains("due already");
    }

    @Test
    void jobCommandsCheckTheirArgumentsBeforeChangingAnything() {
        Cli.Result noId = run("job", "cancel");
        Cli.Result badId = run("job", "cancel", "nope");
        Cli.Result badPriority = run("job", "priority", new ObjectId().toHexString(), "high");

        assertThat(noId.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(noId.err()).contains("ID");
        assertThat(badId.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(badId.err()).contains("id was \"nope\"");
        assertThat(badPriority.code()).isEqualTo(ExitCodes.CONFIG);
    }

    @Test
    void peekTellsADelayedJobFromAReadyOneAndShowsWhenItBecomesVisible() {
        String ready = queue.enqueue(JobRequest.builder("email.send").payload("now").build()).id();
        String delayed = queue.enqueue(JobRequest.builder("email.send").payload("later").priority(5)
                .delay(Duration.ofMinutes(10)).build()).id();
        var visibleAt = queue.get(delayed).orElseThrow().visibleAt().truncatedTo(ChronoUnit.SECONDS);

        Cli.Result result = run("peek");

        assertThat(result.code()).isZero();
        String delayedLine = line(result.out(), delayed);
        assertThat(delayedLine).contains(" delayed ").doesNotContain(" ready ")
                .contains("visible at " + visibleAt).containsPattern("\\(in (10m|9m 5\\ds)\\)");
        assertThat(line(result.out(), ready)).contains(" ready ").contains("ready since ").contains(" ago)");
    }

    @Test
    void deadListShowsWhenEachJobDiedAndTheFirstLineOfItsLastError() {
        String id = queue.enqueue(JobRequest.builder("email.send").payload("poison").maxAttempts(1).build()).id();
        Lease lease = queue.claim(Set.of("email.send"), "worker-7").orElseThrow();
        queue.deadLetter(lease, JobError.of(new IllegalStateException("smtp said no\n\tat Smtp.send(Smtp.java:1)\n\tat x")));
        var deadAt = queue.get(id).orElseThrow().deadAt().truncatedTo(ChronoUnit.SECONDS);

        Cli.Result result = run("dead", "list");

        assertThat(result.code()).isZero();
        assertThat(line(result.out(), id)).contains(" dead ").contains("died " + deadAt).contains(" ago)");
        assertThat(result.out()).contains("java.lang.IllegalStateException: smtp said no  [+2 more lines]")
                .doesNotContain("Smtp.send");
    }

    @Test
    void requeueOfAnUnknownIdSaysSoOnStderrWithExitCode4() {
        String unknown = new ObjectId().toHexString();

        Cli.Result result = run("dead", "requeue", unknown);

        assertThat(result.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(result.err()).contains("no job with id " + unknown).contains("docjobs dead list");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void requeueOfADeadJobWhoseDedupKeyIsTakenSaysWhoHoldsItWithExitCode4() {
        String dead = queue.enqueue(JobRequest.builder("email.send").payload("first").dedupKey("welcome-c").maxAttempts(1)
                .build()).id();
        queue.deadLetter(queue.claim(Set.of("email.send"), "test").orElseThrow(), JobError.of("boom"));
        String holder = queue.enqueue(JobRequest.builder("email.send").payload("second").dedupKey("welcome-c").build()).id();

        Cli.Result result = run("dead", "requeue", dead);

        assertThat(result.code()).isEqualTo(ExitCodes.NOT_FOUND);
        assertThat(result.err()).contains(holder).contains("\"welcome-c\"").doesNotContain("\tat ");
        assertThat(queue.get(dead).orElseThrow().state()).isEqualTo(io.docjobs.JobState.DEAD);
    }

    @Test
    void requeueWithoutAnIdOrWithBothIsAUsageErrorBeforeAnyConnection() {
        database.stop(); // nothing answers: a usage error must not wait for the database

        Cli.Result neither = run("dead", "requeue");
        Cli.Result both = run("dead", "requeue", "--all", new ObjectId().toHexString());

        assertThat(neither.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(neither.err()).contains("an ID (see `docjobs dead list`) or --all");
        assertThat(both.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(both.err()).contains("give either an ID or --all, not both");
    }

    private static String line(String output, String id) {
        return output.lines().filter(line -> line.startsWith(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + id + " in:\n" + output));
    }

    @Test
    void unreachableEmbeddedDaemonGetsAClearMessageAndExitCode3() throws IOException {
        database.stop();
        Files.writeString(config, Files.readString(config).replace("  embedded: true\n", "  embedded: true\n  operationTimeout: 1s\n"));

        Cli.Result result = run("stats");

        assertThat(result.code()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(result.err()).contains("no docjobs daemon with an embedded database answers").contains("docjobs run");
    }
}
