package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Entries enqueued by another process wake an idle supervisor through a change stream, where the
 * server has them (here: the embedded server with its oplog). The queue tells its listeners the
 * type of every insert it sees; the catch-all (an empty set: "something may have been missed")
 * comes once each time the stream (re)opens, never in place of the inserts' types.
 */
class ChangeStreamWakeUpTest {
    @RegisterExtension
    final EmbeddedMongoExtension mongo = EmbeddedMongoExtension.withOplog();
    private MongoClient workerClient;
    private MongoClient producerClient;
    private JobQueue workerQueue;
    private JobQueue producerQueue;

    @BeforeEach
    void start() {
        workerClient = MongoClients.create(mongo.connectionString());
        producerClient = MongoClients.create(mongo.connectionString());
        workerQueue = JobQueue.using(workerClient, QueueConfig.builder().build());
        // The other process: its own client and queue, which notifies only its own listeners.
        producerQueue = JobQueue.using(producerClient, QueueConfig.builder().changeStreams(false).build());
    }

    @AfterEach
    void stop() {
        workerQueue.close();
        producerQueue.close();
        workerClient.close();
        producerClient.close();
    }

    /** Registers a listener on the worker's queue and waits until its change stream is open. */
    private List<Set<String>> listening() {
        List<Set<String>> heard = new CopyOnWriteArrayList<>();
        workerQueue.onEnqueue(heard::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.contains(Set.of()));
        return heard;
    }

    @Test
    void listenersHearTheTypeOfEachInsertByAnotherProcessAndTheCatchAllOnlyWhenTheStreamOpens() {
        List<Set<String>> heard = listening();

        producerQueue.enqueue("email", "one", Duration.ofSeconds(30));
        producerQueue.enqueue("sms", "two", Duration.ofSeconds(30));
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() >= 3);
        assertThat(heard).containsExactly(Set.of(), Set.of("email"), Set.of("sms"));

        producerQueue.enqueueAll(List.of(JobRequest.builder("email").payload("three").build(),
                JobRequest.builder("push").payload("four").build()));
        await().atMost(Duration.ofSeconds(10)).until(() -> heard.size() >= 5);
        assertThat(heard.subList(3, 5)).as("one per inserted entry").containsExactlyInAnyOrder(Set.of("email"), Set.of("push"));

        // The stream stays open while nothing arrives: it waits up to a second per read, and a
        // watcher that reopened instead would announce another catch-all each time.
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5)).until(() -> heard.size() == 5);
        assertThat(heard).filteredOn(Set::isEmpty).hasSize(1);
    }

    /** A program that forgets to close its supervisor must still be able to exit. */
    @Test
    void everyThreadASupervisorStartsIsADaemon() {
        listening();
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        try (Supervisor supervisor = Supervisor.builder(workerQueue).name("daemons")
                .schedule(Schedule.builder("tick", "email").interval(Duration.ofMinutes(1)).build())
                .depthRefresh(Duration.ofSeconds(5)).handle("email", job -> { }).build().start()) {
            Set<Thread> started = new java.util.HashSet<>(Thread.getAllStackTraces().keySet());
            started.removeAll(before);

            assertThat(started).extracting(Thread::getName).as("the supervisor's threads")
                    .contains("docjobs-daemons-poller-1", "docjobs-daemons-scheduler")
                    .anyMatch(name -> name.startsWith("docjobs-queue-metrics-"));
            assertThat(started).filteredOn(thread -> !thread.isDaemon()).extracting(Thread::getName).isEmpty();
            assertThat(Thread.getAllStackTraces().keySet()).filteredOn(t -> t.getName().endsWith("-change-stream"))
                    .isNotEmpty().allMatch(Thread::isDaemon);
        }
    }

    @Test
    void aSupervisorIdleAtItsBackOffCapPicksUpAnotherProcesssJobAtOnce() {
        // The stream is open before the supervisor starts, so the catch-all of its opening cannot
        // be what wakes the poller: only the insert's own event can.
        listening();
        Duration cap = Duration.ofMinutes(1);
        AtomicInteger handled = new AtomicInteger();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Supervisor supervisor = Supervisor.builder(workerQueue).meterRegistry(registry)
                .idleBackoff(cap, cap) // every idle wait is 30-60 s
                .depthRefresh(Duration.ZERO)
                .handle("email", job -> handled.incrementAndGet()).build().start()) {
            await().atMost(Duration.ofSeconds(5)).until(() -> polls(registry, "empty") >= 1);

            long enqueued = System.nanoTime();
            producerQueue.enqueue("email", "from elsewhere", Duration.ofSeconds(30));

            await().atMost(Duration.ofSeconds(5)).until(() -> handled.get() == 1);
            assertThat(Duration.ofNanos(System.nanoTime() - enqueued)).as("far below the 30 s shortest idle wait")
                    .isLessThan(Duration.ofSeconds(5));
            assertThat(polls(registry, "empty")).as("one empty poll, then one woken by the insert").isEqualTo(1);
            assertThat(polls(registry, "hit")).isEqualTo(1);
            assertThat(supervisor.state()).isEqualTo(Supervisor.State.RUNNING);
        }
    }

    private static double polls(SimpleMeterRegistry registry, String result) {
        var counter = registry.find("docjobs.polls").tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }
}
