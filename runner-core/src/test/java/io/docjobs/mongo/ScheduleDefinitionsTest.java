package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandSucceededEvent;
import io.docjobs.EmbeddedMongoExtension;
import io.docjobs.QueueConfig;
import io.docjobs.Schedule;
import io.docjobs.Schedules;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link MongoSchedules}: definitions racing other processes, listing, and removal mid-firing. */
class ScheduleDefinitionsTest {
    @RegisterExtension
    static final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.server();

    private static final Instant START = Instant.parse("2026-03-28T12:00:00Z");
    private final ManualClock clock = new ManualClock(START);
    private final String collection = mongo.freshCollection();
    private MongoClient client;
    private MongoJobQueue queue;

    private MongoJobQueue open(MongoClient on) {
        queue = MongoJobQueue.using(on, QueueConfig.builder().collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO).changeStreams(false).build());
        return queue;
    }

    @AfterEach
    void close() {
        if (queue != null) {
            queue.close();
        }
        if (client != null) {
            client.close();
        }
        mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(collection + "_schedules").drop();
    }

    private MongoCollection<Document> collection(String name) {
        return mongo.client().getDatabase(QueueConfig.DEFAULT_DATABASE).getCollection(name);
    }

    @Test
    void aDefinitionThatFindsNothingButLosesTheInsertToAnotherProcessIsAppliedOverIts() {
        Schedule theirs = Schedule.builder("report", "t").interval(Duration.ofMinutes(5)).build();
        Schedule ours = Schedule.builder("report", "t").interval(Duration.ofMinutes(1)).build();
        Schedules other = open(mongo.client()).schedules();
        AtomicBoolean raced = new AtomicBoolean();
        AtomicBoolean refused = new AtomicBoolean();
        // Right after our first read of the schedule (none yet), another process creates it.
        client = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(mongo.connectionString()))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandSucceeded(CommandSucceededEvent event) {
                        String name = event.getCommandName();
                        if (name.equals("find") && event.getResponse().getDocument("cursor").getString("ns").getValue()
                                .endsWith("_schedules") && raced.compareAndSet(false, true)) {
                            other.define(theirs);
                        }
                        if (name.equals("insert") && event.getResponse().containsKey("writeErrors")) {
                            refused.set(true);
                        }
                    }
                }).build());
        Schedules schedules = open(client).schedules();

        Schedules.Status status = schedules.define(ours);

        assertThat(raced).isTrue();
        assertThat(refused).as("our insert refused as a duplicate").isTrue();
        assertThat(status.schedule()).isEqualTo(ours);
        assertThat(status.nextTime()).as("the new timing starts from now").isEqualTo(START.plus(Duration.ofMinutes(1)));
        assertThat(other.get("report").orElseThrow().schedule()).isEqualTo(ours);
    }

    @Test
    void aScheduleDeletedWhileItIsDefinedIsCreatedAgain() {
        Schedule ours = Schedule.builder("report", "t").interval(Duration.ofMinutes(1)).build();
        open(mongo.client()).schedules().define(Schedule.builder("report", "t").interval(Duration.ofMinutes(5)).build());
        queue.close();
        AtomicInteger deletions = new AtomicInteger(1);
        // After our read of the schedule finds it, another process deletes it.
        client = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(mongo.connectionString()))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandSucceeded(CommandSucceededEvent event) {
                        if (event.getCommandName().equals("find") && !event.getResponse().getDocument("cursor")
                                .getArray("firstBatch").isEmpty() && deletions.getAndDecrement() > 0) {
                            collection(collection + "_schedules").deleteOne(new Document("_id", "report"));
                        }
                    }
                }).build());
        Schedules schedules = open(client).schedules();

        assertThat(schedules.define(ours).schedule()).isEqualTo(ours);
        assertThat(schedules.get("report").orElseThrow().schedule()).isEqualTo(ours);
        assertThat(deletions.get()).as("the one deletion happened").isNegative();
    }

    @Test
    void definingTheSameScheduleAgainChangesNothing() {
        Schedules schedules = open(mongo.client()).schedules();
        Schedule schedule = Schedule.builder("report", "t").interval(Duration.ofMinutes(1)).build();
        Schedules.Status first = schedules.define(schedule);
        clock.advance(Duration.ofSeconds(30));

        assertThat(schedules.define(schedule)).isEqualTo(first);
    }

    @Test
    void listShowsEveryScheduleById() {
        Schedules schedules = open(mongo.client()).schedules();
        schedules.define(Schedule.builder("b", "t").interval(Duration.ofMinutes(1)).build());
        schedules.define(Schedule.builder("a", "t").interval(Duration.ofMinutes(2)).paused(true).build());

        assertThat(schedules.list()).extracting(s -> s.schedule().id(), Schedules.Status::paused)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", true), org.assertj.core.groups.Tuple.tuple("b", false));
    }

    @Test
    void theNextDueTimeIsTheEarliestOfTheSchedulesNotPaused() {
        Schedules schedules = open(mongo.client()).schedules();
        assertThat(schedules.nextDue()).as("no schedules").isEmpty();

        schedules.define(Schedule.builder("hourly", "t").interval(Duration.ofHours(1)).build());
        schedules.define(Schedule.builder("paused", "t").interval(Duration.ofSeconds(5)).paused(true).build());
        schedules.define(Schedule.builder("minutely", "t").interval(Duration.ofMinutes(1)).build());
        assertThat(schedules.nextDue()).contains(START.plus(Duration.ofMinutes(1)));

        schedules.pause("minutely");
        assertThat(schedules.nextDue()).contains(START.plus(Duration.ofHours(1)));
        schedules.pause("hourly");
        assertThat(schedules.nextDue()).as("all paused").isEmpty();
    }

    @Test
    void aFiringLeftHalfDoneIsDueAtItsTime() {
        MongoJobQueue opened = open(mongo.client());
        Schedules schedules = opened.schedules();
        schedules.define(Schedule.builder("report", "t").interval(Duration.ofMinutes(1)).build());
        clock.advance(Duration.ofMinutes(1));
        opened.faults(Crash.before("release of scheduled job"));
        assertThatThrownBy(() -> schedules.fireDue("a")).isInstanceOf(Crash.class);
        opened.faults(OperationRunner.Faults.NONE);
        schedules.pause("report");

        assertThat(schedules.nextDue()).as("paused, but its committed firing is not complete")
                .contains(START.plus(Duration.ofMinutes(1)));
    }

    @Test
    void removingAScheduleWhoseFiringCommittedMakesThatJobReadyAndDeletesHeldJobsNoCommitNames() {
        MongoJobQueue opened = open(mongo.client());
        Schedules schedules = opened.schedules();
        schedules.define(Schedule.builder("report", "t").interval(Duration.ofMinutes(1)).build());
        schedules.define(Schedule.builder("other", "t").interval(Duration.ofMinutes(1)).build());
        clock.advance(Duration.ofMinutes(1));
        opened.faults(Crash.before("release of scheduled job"));
        assertThatThrownBy(() -> schedules.fireDue("a")).isInstanceOf(Crash.class);
        opened.faults(OperationRunner.Faults.NONE);
        MongoCollection<Document> entries = collection(collection);
        Document committed = entries.find(new Document(Entries.STATE, Entries.HELD)).first();
        assertThat(committed).as("the committed firing's job, still held").isNotNull();
        String scheduleId = committed.getString(Entries.SCHEDULE_ID);
        // A job held by a scheduler that crashed before its commit, and one of the other schedule.
        ObjectId stray = new ObjectId();
        entries.insertOne(new Document(committed).append(Entries.ID, stray));
        ObjectId otherSchedules = new ObjectId();
        entries.insertOne(new Document(committed).append(Entries.ID, otherSchedules)
                .append(Entries.SCHEDULE_ID, scheduleId.equals("report") ? "other" : "report"));

        assertThat(schedules.remove(scheduleId)).isEqualTo(Schedules.Change.CHANGED);

        Document job = entries.find(new Document(Entries.ID, committed.get(Entries.ID))).first();
        assertThat(job.get(Entries.STATE)).isEqualTo(Entries.READY);
        assertThat(job.getDate(Entries.VISIBLE_AT).toInstant()).isEqualTo(START.plus(Duration.ofMinutes(1)));
        assertThat(entries.find(new Document(Entries.ID, stray)).first()).as("the uncommitted held job").isNull();
        assertThat(entries.find(new Document(Entries.ID, otherSchedules)).first()).as("the other schedule's")
                .isNotNull();
        assertThat(schedules.remove(scheduleId)).isEqualTo(Schedules.Change.NOT_FOUND);
    }
}
