package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.Schedules.Firing;
import io.docjobs.Schedules.Firing.Outcome;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Schedules fired through {@link Schedules#fireDue} with a manual database clock: the times they
 * fire at, misfire and overlap policies after an outage, pause, resume, trigger and removal, and
 * what a fired job looks like to the rest of the queue.
 */
class ScheduleFiringTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-03-28T12:00:00Z"));
    private final List<JobQueue> queues = new ArrayList<>();
    private String collection;
    private JobQueue queue;
    private Schedules schedules;

    @BeforeEach
    void open() {
        collection = mongo.freshCollection();
        queue = open(clock);
        schedules = queue.schedules();
    }

    private JobQueue open(ManualClock time) {
        JobQueue opened = JobQueue.using(mongo.client(), QueueConfig.builder().collection(collection).clock(time)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
        queues.add(opened);
        return opened;
    }

    @AfterEach
    void close() {
        queues.forEach(JobQueue::close);
        var database = mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE);
        if (database.listCollectionNames().into(new ArrayList<>()).contains(collection + "_schedules")) {
            database.getCollection(collection + "_schedules").drop();
        }
    }

    private List<Firing> advanceAndFire(Duration step) {
        clock.advance(step);
        return schedules.fireDue("scheduler-1");
    }

    private List<Document> jobs() {
        return mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection).find()
                .sort(new Document("scheduledAt", 1)).into(new ArrayList<>());
    }

    private List<Instant> jobTimes() {
        return jobs().stream().map(job -> job.getDate("scheduledAt").toInstant()).toList();
    }

    private Schedule.Builder everyMinute(String id) {
        return Schedule.builder(id, "report").cron("* * * * *").payload("{\"n\": 1}");
    }

    @Test
    void firesEachTimeOnceAsAnOrdinaryReadyJob() {
        schedules.define(everyMinute("minutely").priority(7).maxAttempts(3).build());

        assertThat(schedules.fireDue("a")).isEmpty();
        List<Firing> fired = advanceAndFire(Duration.ofSeconds(61));

        assertThat(fired).singleElement().satisfies(firing -> {
            assertThat(firing.outcome()).isEqualTo(Outcome.ENQUEUED);
            assertThat(firing.time()).isEqualTo(Instant.parse("2026-03-28T12:01:00Z"));
            assertThat(firing.lag()).isEqualTo(Duration.ofSeconds(1));
        });
        assertThat(schedules.fireDue("b")).isEmpty();
        Lease lease = queue.claim(Set.of("report"), "w").orElseThrow();
        assertThat(lease.id()).isEqualTo(fired.get(0).jobId());
        assertThat(lease.payload()).isEqualTo("{\"n\": 1}");
        assertThat(lease.priority()).isEqualTo(7);
        assertThat(lease.maxAttempts()).isEqualTo(3);
        Schedules.Status status = schedules.get("minutely").orElseThrow();
        assertThat(status.lastTime()).isEqualTo(Instant.parse("2026-03-28T12:01:00Z"));
        assertThat(status.lastJobId()).isEqualTo(lease.id());
        assertThat(status.nextTime()).isEqualTo(Instant.parse("2026-03-28T12:02:00Z"));
    }

    @Test
    void firesAtTheRightInstantsAcrossBothDaylightSavingChanges() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        schedules.define(Schedule.builder("nightly", "report").cron("30 2 * * *").zone(berlin).build());
        List<Instant> fired = new ArrayList<>();

        // Half-hour steps from 2026-03-28 to 2026-03-31, then from 2026-10-24 to 2026-10-27.
        for (int step = 0; step < 3 * 48; step++) {
            advanceAndFire(Duration.ofMinutes(30)).forEach(firing -> fired.add(firing.time()));
        }
        clock.set(Instant.parse("2026-10-24T12:00:00Z"));
        schedules.define(Schedule.builder("nightly", "report").cron("30 2 * * *").zone(ZoneId.of("UTC")).build());
        schedules.define(Schedule.builder("nightly", "report").cron("30 2 * * *").zone(berlin).build());
        for (int step = 0; step < 3 * 48; step++) {
            advanceAndFire(Duration.ofMinutes(30)).forEach(firing -> fired.add(firing.time()));
        }

        assertThat(fired).containsExactly(
                Instant.parse("2026-03-29T01:00:00Z"),   // 02:30 does not exist: 03:00 CEST, when the gap ends
                Instant.parse("2026-03-30T00:30:00Z"),   // 02:30 CEST
                Instant.parse("2026-03-31T00:30:00Z"),
                Instant.parse("2026-10-25T00:30:00Z"),   // 02:30 CEST; the second 02:30 (CET) does not fire
                Instant.parse("2026-10-26T01:30:00Z"),   // 02:30 CET
                Instant.parse("2026-10-27T01:30:00Z"));
        assertThat(jobTimes()).isEqualTo(fired);
    }

    @Test
    void skipsMissedTimesByDefault() {
        schedules.define(everyMinute("m").build());

        List<Firing> afterOutage = advanceAndFire(Duration.ofMinutes(10).plusSeconds(30));

        assertThat(afterOutage).singleElement().satisfies(firing -> {
            assertThat(firing.outcome()).isEqualTo(Outcome.MISFIRE_SKIPPED);
            assertThat(firing.missed()).isEqualTo(10);
        });
        assertThat(jobs()).isEmpty();
        assertThat(schedules.get("m").orElseThrow().nextTime()).isEqualTo(Instant.parse("2026-03-28T12:11:00Z"));
        assertThat(advanceAndFire(Duration.ofSeconds(31))).extracting(Firing::outcome).containsExactly(Outcome.ENQUEUED);
    }

    @Test
    void firesTheLatestMissedTimeOnceWithFireOnce() {
        schedules.define(everyMinute("m").misfire(Schedule.Misfire.fireOnce()).build());

        List<Firing> afterOutage = advanceAndFire(Duration.ofMinutes(10).plusSeconds(30));

        assertThat(afterOutage).singleElement().satisfies(firing -> {
            assertThat(firing.outcome()).isEqualTo(Outcome.ENQUEUED);
            assertThat(firing.time()).isEqualTo(Instant.parse("2026-03-28T12:10:00Z"));
            assertThat(firing.missed()).isEqualTo(9);
        });
        assertThat(jobTimes()).containsExactly(Instant.parse("2026-03-28T12:10:00Z"));
        assertThat(schedules.get("m").orElseThrow().nextTime()).isEqualTo(Instant.parse("2026-03-28T12:11:00Z"));
    }

    @Test
    void catchesUpTheLatestMissedTimesWithCatchUp() {
        schedules.define(everyMinute("m").misfire(Schedule.Misfire.catchUp(3)).build());

        List<Firing> afterOutage = advanceAndFire(Duration.ofMinutes(10).plusSeconds(30));

        assertThat(afterOutage).extracting(Firing::outcome)
                .containsExactly(Outcome.MISFIRE_SKIPPED, Outcome.ENQUEUED, Outcome.ENQUEUED, Outcome.ENQUEUED);
        assertThat(afterOutage.get(0).missed()).isEqualTo(7);
        assertThat(jobTimes()).containsExactly(Instant.parse("2026-03-28T12:08:00Z"),
                Instant.parse("2026-03-28T12:09:00Z"), Instant.parse("2026-03-28T12:10:00Z"));
    }

    @Test
    void withinTheMisfireThresholdLateTimesFireAsUsual() {
        schedules.define(everyMinute("m").misfireThreshold(Duration.ofMinutes(5)).build());

        List<Firing> late = advanceAndFire(Duration.ofMinutes(3).plusSeconds(30));

        assertThat(late).extracting(Firing::outcome).containsOnly(Outcome.ENQUEUED).hasSize(3);
        assertThat(late).extracting(Firing::lag).containsExactly(Duration.ofSeconds(150), Duration.ofSeconds(90),
                Duration.ofSeconds(30));
    }

    @Test
    void skipsTimesWhileThePreviousJobIsUnfinishedWithSkipIfRunning() {
        schedules.define(everyMinute("m").overlap(Schedule.Overlap.SKIP_IF_RUNNING).build());
        advanceAndFire(Duration.ofMinutes(1));
        Lease running = queue.claim(Set.of("report"), "w").orElseThrow();

        assertThat(advanceAndFire(Duration.ofMinutes(1))).extracting(Firing::outcome)
                .containsExactly(Outcome.OVERLAP_SKIPPED);
        queue.done(running);

        assertThat(advanceAndFire(Duration.ofMinutes(1))).extracting(Firing::outcome).containsExactly(Outcome.ENQUEUED);
        assertThat(jobTimes()).containsExactly(Instant.parse("2026-03-28T12:03:00Z"));
    }

    @Test
    void firesEvenWhileThePreviousJobRunsWithAllow() {
        schedules.define(everyMinute("m").build());
        advanceAndFire(Duration.ofMinutes(1));
        queue.claim(Set.of("report"), "w").orElseThrow();

        assertThat(advanceAndFire(Duration.ofMinutes(1))).extracting(Firing::outcome).containsExactly(Outcome.ENQUEUED);
    }

    @Test
    void aPausedScheduleDoesNotFireAndResumesFromNow() {
        schedules.define(everyMinute("m").build());

        assertThat(schedules.pause("m")).isEqualTo(Schedules.Change.CHANGED);
        assertThat(schedules.pause("m")).isEqualTo(Schedules.Change.UNCHANGED);
        assertThat(advanceAndFire(Duration.ofMinutes(5))).isEmpty();
        assertThat(schedules.resume("m")).isEqualTo(Schedules.Change.CHANGED);
        assertThat(schedules.resume("m")).isEqualTo(Schedules.Change.UNCHANGED);

        assertThat(schedules.get("m").orElseThrow().nextTime()).isEqualTo(Instant.parse("2026-03-28T12:06:00Z"));
        assertThat(advanceAndFire(Duration.ofMinutes(1))).extracting(Firing::time)
                .containsExactly(Instant.parse("2026-03-28T12:06:00Z"));
        assertThat(schedules.pause("nope")).isEqualTo(Schedules.Change.NOT_FOUND);
        assertThat(schedules.resume("nope")).isEqualTo(Schedules.Change.NOT_FOUND);
    }

    @Test
    void aDefinitionAppliedAgainKeepsItsPauseAndNextTime() {
        schedules.define(everyMinute("m").build());
        schedules.pause("m");

        Schedules.Status again = schedules.define(everyMinute("m").priority(3).build());

        assertThat(again.paused()).isTrue();
        assertThat(again.schedule().priority()).isEqualTo(3);
        assertThat(again.nextTime()).isEqualTo(Instant.parse("2026-03-28T12:01:00Z"));
        clock.advance(Duration.ofSeconds(30));
        assertThat(schedules.define(everyMinute("m").cron("*/5 * * * *").build()).nextTime())
                .isEqualTo(Instant.parse("2026-03-28T12:05:00Z"));
    }

    @Test
    void triggerEnqueuesOneJobNowWithoutMovingTheSchedule() {
        schedules.define(everyMinute("m").build());

        String id = schedules.trigger("m").orElseThrow();

        assertThat(queue.get(id).orElseThrow().state()).isEqualTo(JobState.READY);
        assertThat(schedules.get("m").orElseThrow().nextTime()).isEqualTo(Instant.parse("2026-03-28T12:01:00Z"));
        assertThat(schedules.trigger("nope")).isEmpty();
    }

    @Test
    void removeDeletesTheScheduleButNotItsJobs() {
        schedules.define(everyMinute("m").build());
        schedules.define(everyMinute("a").build());
        advanceAndFire(Duration.ofMinutes(1));
        assertThat(schedules.list()).extracting(status -> status.schedule().id()).containsExactly("a", "m");
        assertThat(schedules.remove("a")).isEqualTo(Schedules.Change.CHANGED);

        assertThat(schedules.remove("m")).isEqualTo(Schedules.Change.CHANGED);
        assertThat(schedules.remove("m")).isEqualTo(Schedules.Change.NOT_FOUND);
        assertThat(schedules.list()).isEmpty();
        assertThat(advanceAndFire(Duration.ofMinutes(1))).isEmpty();
        assertThat(queue.stats().ready()).isEqualTo(2);
    }

    @Test
    void twoSchedulersOnOneQueueEnqueueEachTimeOnce() {
        JobQueue other = open(clock);
        schedules.define(everyMinute("m").build());

        for (int minute = 0; minute < 20; minute++) {
            clock.advance(Duration.ofSeconds(30));
            schedules.fireDue("a");
            other.schedules().fireDue("b");
            clock.advance(Duration.ofSeconds(30));
            other.schedules().fireDue("b");
            schedules.fireDue("a");
        }

        assertThat(jobTimes()).hasSize(20).doesNotHaveDuplicates();
    }

    @Test
    void aHeldFiringIsInvisibleToClaimsCountsAndListings() {
        Document held = new Document("_id", new org.bson.types.ObjectId()).append("type", "report").append("payload", "")
                .append("state", "held").append("priority", 0).append("attempts", 0).append("scheduleId", "m")
                .append("scheduledAt", new java.util.Date());
        mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection).insertOne(held);

        assertThat(queue.claim(Set.of("report"), "w")).isEmpty();
        assertThat(queue.stats().byType()).isEmpty();
        assertThat(queue.peek(null, 10)).isEmpty();
        assertThat(queue.deadLetters(null, null, 10).entries()).isEmpty();
        assertThat(queue.get(held.getObjectId("_id").toHexString()).orElseThrow().state()).isNull();
    }
}
