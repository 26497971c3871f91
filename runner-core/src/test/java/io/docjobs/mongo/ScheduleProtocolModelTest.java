package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import io.docjobs.QueueConfig;
import io.docjobs.Schedule;
import io.docjobs.Schedules.Firing;
import io.docjobs.testing.ManualClock;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A model test of the schedule firing protocol ({@link ScheduleFirer}): three schedulers, each with
 * a queue of its own on one collection, race to fire one schedule due every 10 seconds, one
 * database call at a time in an order a seeded random generator picks. Any call may lose its
 * request or its reply (then it is retried), any scheduler may be killed before or after any call
 * (it restarts under a new name), one may stall while the clock moves past its lease, and jobs are
 * completed (deleted) as handlers would. Each scheduler runs on a thread of its own, but only one
 * moves at a time: the {@link OperationRunner.Faults} seam holds it before each try until the test
 * lets it go, so a run is deterministic for its seed.
 *
 * <p>After every step: no scheduled time has ever had two jobs a worker could see (not held), and
 * the schedule never names a job as made ready that is still held. At the end, with faults off and
 * leases expired: every time of the schedule up to now was enqueued exactly once.
 *
 * <p>{@code -Ddocjobs.model.seed=S -Ddocjobs.model.steps=N} reproduces a failure it prints.
 */
@Timeout(value = 180, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ScheduleProtocolModelTest {
    static {
        System.setProperty("org.slf4j.simpleLogger.log.io.docjobs.mongo.MongoJobQueue", "error");
    }

    private static final long[] SEEDS = {20261130L, 13L, 777L, 4242L};
    private static final int STEPS = Integer.getInteger("docjobs.model.steps", 1_500);
    private static final ServerAddress ADDRESS = new ServerAddress("model", 27017);
    private static final Instant START = Instant.parse("2026-03-28T12:00:00Z");
    private static final Duration EVERY = Duration.ofSeconds(10);

    static LongStream seeds() {
        return ModelSeeds.of(SEEDS);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyTimeIsEnqueuedOnceWhateverTheInterleaving(long seed) throws Exception {
        try (Run run = new Run(seed)) {
            for (int step = 1; step <= STEPS; step++) {
                run.step(step);
            }
            run.quiesceAndCheck();
        }
    }

    /** The calls of one firing, by a scheduler killed before and after each of them in turn. */
    @Test
    void aSchedulerKilledBeforeOrAfterAnyCallOfAFiringLeavesExactlyOneJob() throws Exception {
        int calls;
        try (Run probe = new Run(1)) {
            probe.clock.advance(EVERY);
            calls = probe.nodes.get(0).roundCalls();
        }
        assertThat(calls).as("calls of one firing round").isGreaterThanOrEqualTo(7);
        for (int call = 0; call < calls; call++) {
            for (Verdict kill : List.of(Verdict.KILL_BEFORE, Verdict.KILL_AFTER)) {
                try (Run run = new Run(call)) {
                    run.clock.advance(EVERY);
                    run.nodes.get(0).roundKilledAt(call, kill);
                    run.check("killed " + kill + " call " + call);
                    run.completeReadyJobs();
                    run.check("after completing jobs");
                    run.quiesceAndCheck();
                }
            }
        }
    }

    /**
     * A reply lost at any call of a round is retried to the same end: the same firings, jobs and
     * schedule as the round without faults, and the round leaves everything settled. Each start
     * sets up, without faults, a state one part of the protocol exists for.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(Start.class)
    void aReplyLostAtAnyCallOfARoundChangesNothing(Start start) throws Exception {
        int calls;
        String expected;
        try (Run run = new Run(0, start.schedule)) {
            start.setUp(run);
            calls = run.nodes.get(0).roundWith(-1, Verdict.PROCEED);
            start.afterRound(run);
            expected = run.settled("the round without faults");
        }
        assertThat(calls).as("calls of the round").isGreaterThanOrEqualTo(start.minCalls);
        for (int call = 0; call < calls; call++) {
            try (Run run = new Run(call, start.schedule)) {
                start.setUp(run);
                run.nodes.get(0).roundWith(call, Verdict.LOSE_REPLY);
                start.afterRound(run);
                assertThat(run.settled("reply of call " + call + " lost")).as("reply of call %d lost", call)
                        .isEqualTo(expected);
            }
        }
    }

    private static Schedule.Builder every10s() {
        return Schedule.builder("every-10s", "tick").interval(EVERY).misfireThreshold(Duration.ofDays(1));
    }

    /** For starts past a lease: one or two times due a round, not six, keeps the runs few. */
    private static Schedule.Builder everyMinute() {
        return every10s().interval(ScheduleFirer.LEASE_TIME);
    }

    /** Where the round under test, by scheduler S0, starts from. */
    enum Start {
        /** The first time is due. */
        DUE(every10s(), 6),
        /** Five times passed unseen, beyond the misfire threshold: the round skips them. */
        MISSED(every10s().misfireThreshold(Duration.ofSeconds(1)), 4) {
            @Override
            void setUp(Run run) {
                run.clock.advance(every.multipliedBy(5));
            }
        },
        /** Skip-if-running, and the job of the time before is still ready: the round skips the due time. */
        OVERLAPPING(every10s().overlap(Schedule.Overlap.SKIP_IF_RUNNING), 5) {
            @Override
            void setUp(Run run) throws InterruptedException {
                run.clock.advance(every);
                run.nodes.get(0).roundWith(-1, Verdict.PROCEED);
                run.clock.advance(every);
            }
        },
        /**
         * S1 was killed holding a job; S2 took over, fired that time and more, and was killed before
         * releasing its lease: S0 takes over again and deletes the held job no commit names.
         */
        TAKEN_OVER(everyMinute(), 6) {
            @Override
            void setUp(Run run) throws InterruptedException {
                run.clock.advance(every);
                run.nodes.get(1).proceedTo("held insert");
                run.history.add(run.nodes.get(1).advance(Verdict.KILL_AFTER));
                run.clock.advance(ScheduleFirer.LEASE_TIME.plusSeconds(1));
                run.nodes.get(2).proceedTo("lease release");
                run.history.add(run.nodes.get(2).advance(Verdict.KILL_BEFORE));
                run.clock.advance(ScheduleFirer.LEASE_TIME.plusSeconds(1));
                assertThat(run.held()).as("held jobs before the round").isEqualTo(1);
            }
        },
        /** S1 committed a firing and stalls before making its job ready, holding the lease: anyone completes it. */
        PENDING(every10s(), 3) {
            @Override
            void setUp(Run run) throws InterruptedException {
                run.clock.advance(every);
                run.nodes.get(1).proceedTo("release of scheduled job");
            }
        },
        /**
         * S1 took the lease and stalled past it; S0 read the due schedule; then S1 committed a firing:
         * S0, taking over, finds it pending and makes its job ready before it fires on.
         */
        COMMITTED_MEANWHILE(everyMinute(), 5) {
            @Override
            void setUp(Run run) throws InterruptedException {
                run.clock.advance(every);
                run.nodes.get(1).proceedTo("lease of schedule");
                run.history.add(run.nodes.get(1).advance(Verdict.PROCEED));
                run.clock.advance(ScheduleFirer.LEASE_TIME.plusSeconds(1));
                run.nodes.get(0).proceedTo("lease of schedule");
                run.nodes.get(1).proceedTo("release of scheduled job");
            }

            @Override
            void afterRound(Run run) {
                assertThat(run.held()).as("held jobs right after S0's round (S1 still stalls)").isZero();
            }
        },
        /** S0 took the lease to skip missed times and stalled past it; S1 skipped them: S0's skip fails and it reports nothing. */
        STALLED_BEFORE_SKIP(every10s().misfireThreshold(Duration.ofSeconds(1)), 2) {
            @Override
            void setUp(Run run) throws InterruptedException {
                run.clock.advance(every.multipliedBy(5));
                run.nodes.get(0).proceedTo("skip of schedule");
                run.clock.advance(ScheduleFirer.LEASE_TIME.plusSeconds(1));
                run.nodes.get(1).roundWith(-1, Verdict.PROCEED);
            }

            @Override
            void afterRound(Run run) {
                assertThat(run.nodes.get(0).firings).as("what S0 reports of a skip it could not make").isEmpty();
            }
        },
        /** S1 held a job and stalled past its lease before its commit: S0 fires the time; S1's commit fails and it deletes its job. */
        STALLED_BEFORE_COMMIT(everyMinute(), 6) {
            @Override
            void setUp(Run run) throws InterruptedException {
                run.clock.advance(every);
                run.nodes.get(1).proceedTo("commit of schedule");
                run.clock.advance(ScheduleFirer.LEASE_TIME.plusSeconds(1));
            }
        };

        final Schedule schedule;
        final Duration every;
        final int minCalls;

        Start(Schedule.Builder schedule, int minCalls) {
            this.schedule = schedule.build();
            this.every = this.schedule.interval();
            this.minCalls = minCalls;
        }

        /** Leaves S0 between rounds or in one, to be run on. */
        void setUp(Run run) throws InterruptedException {
            run.clock.advance(every);
        }

        /** Checks right after S0's round, before stalled schedulers move on. */
        void afterRound(Run run) throws InterruptedException {
        }
    }

    enum Verdict { START_ROUND, PROCEED, LOSE_REQUEST, LOSE_REPLY, KILL_BEFORE, KILL_AFTER, STOP }

    /** Thrown into a scheduler's thread to end it as kill -9 would: nothing catches an Error. */
    static final class Killed extends Error {
        private static final long serialVersionUID = 1L;

        Killed() {
            super("killed", null, false, false);
        }
    }

    final class Run implements AutoCloseable {
        final long seed;
        final Random random;
        final ManualClock clock = new ManualClock(START);
        final MongoServer server = new MongoServer(new MemoryBackend());
        final MongoClient client;
        final MongoCollection<Document> entries;
        final MongoCollection<Document> schedules;
        final List<Node> nodes = new ArrayList<>();
        /** Every job a worker could see, by its time, as observed after each step. */
        final Map<Instant, Set<ObjectId>> observed = new TreeMap<>();
        final BlockingQueue<String> events = new LinkedBlockingQueue<>();
        final List<String> history = new ArrayList<>();
        Instant firstTime;

        Run(long seed) {
            this(seed, every10s().build());
        }

        Run(long seed, Schedule schedule) {
            this.seed = seed;
            this.random = new Random(seed);
            InetSocketAddress address = server.bind();
            client = MongoClients.create("mongodb://" + address.getHostString() + ":" + address.getPort());
            QueueConfig config = QueueConfig.builder().clock(clock).serverClockSync(Duration.ZERO).changeStreams(false)
                    .retryAttempts(3).retryInitialBackoff(Duration.ofMillis(1)).retryMaxBackoff(Duration.ofMillis(1))
                    .build();
            entries = client.getDatabase(config.database()).getCollection(config.collection());
            schedules = client.getDatabase(config.database()).getCollection(config.collection() + "_schedules");
            for (int i = 0; i < 3; i++) {
                MongoJobQueue queue = MongoJobQueue.using(client, config);
                if (i == 0) {
                    firstTime = queue.schedules().define(schedule).nextTime();
                }
                nodes.add(new Node(i, queue));
            }
            nodes.forEach(Node::start);
        }

        void step(int step) throws InterruptedException {
            int dice = random.nextInt(100);
            String what;
            if (dice < 65) {
                Node node = nodes.get(random.nextInt(nodes.size()));
                what = node.name() + " " + node.advance(pickVerdict(node));
            } else if (dice < 85) {
                Duration by = Duration.ofMillis(500 + random.nextInt(12_000));
                clock.advance(by);
                what = "clock +" + by;
            } else if (dice < 88) {
                // Past every lease: a stalled scheduler wakes up to find its lease taken over.
                clock.advance(ScheduleFirer.LEASE_TIME.plusSeconds(1 + random.nextInt(10)));
                what = "clock past the lease";
            } else {
                what = "completed " + completeReadyJobs() + " jobs";
            }
            history.add(step + ": " + what);
            check("step " + step + " (" + what + ")");
        }

        private Verdict pickVerdict(Node node) {
            if (node.at == null) {
                return Verdict.START_ROUND;
            }
            int dice = random.nextInt(100);
            return dice < 84 ? Verdict.PROCEED : dice < 88 ? Verdict.LOSE_REQUEST : dice < 93 ? Verdict.LOSE_REPLY
                    : dice < 97 ? Verdict.KILL_AFTER : Verdict.KILL_BEFORE;
        }

        /** Deletes the jobs a worker could claim now, as {@code done} does. */
        int completeReadyJobs() {
            List<Document> ready = entries.find(new Document(Entries.STATE, Entries.READY)).into(new ArrayList<>());
            ready.forEach(job -> entries.deleteOne(new Document(Entries.ID, job.get(Entries.ID))));
            return ready.size();
        }

        long held() {
            return entries.countDocuments(new Document(Entries.STATE, Entries.HELD));
        }

        /**
         * Checks S0's round left no firing pending, lets every stalled scheduler finish, checks that
         * nothing is held or leased and that the schedule is past now; returns what the round did
         * and what it left, without ids, to compare with another run.
         */
        String settled(String when) throws InterruptedException {
            check(when);
            Document schedule = schedules.find().first();
            Document last = schedule.get(ScheduleDocuments.LAST, Document.class);
            assertThat(last == null ? null : last.getBoolean(ScheduleDocuments.LAST_PENDING))
                    .as(failure(when, "a firing pending after S0's round")).isNotEqualTo(Boolean.TRUE);
            List<Firing> fired = nodes.get(0).firings;
            for (Node node : nodes) {
                while (node.at != null) {
                    history.add(node.advance(Verdict.PROCEED));
                }
            }
            check(when + ", all rounds ended");
            schedule = schedules.find().first();
            assertThat(schedule.get(ScheduleDocuments.LEASE)).as(failure(when, "a lease left")).isNull();
            assertThat(schedule.getDate(ScheduleDocuments.NEXT_TIME).toInstant()).as(failure(when, "next time"))
                    .isAfter(clock.instant());
            assertThat(held()).as(failure(when, "held jobs left")).isZero();
            StringBuilder out = new StringBuilder("firings of S0:");
            fired.forEach(f -> out.append(' ').append(f.time()).append('/').append(f.outcome()).append('/')
                    .append(f.missed()));
            out.append("\njobs:");
            for (Document job : entries.find().sort(new Document(Entries.SCHEDULED_AT, 1)).into(new ArrayList<>())) {
                out.append(' ').append(job.getDate(Entries.SCHEDULED_AT).toInstant()).append('/')
                        .append(job.get(Entries.STATE)).append('/').append(job.getDate(Entries.VISIBLE_AT).toInstant());
            }
            last = schedule.get(ScheduleDocuments.LAST, Document.class);
            out.append("\nnext ").append(schedule.getDate(ScheduleDocuments.NEXT_TIME).toInstant())
                    .append(", last ").append(last == null ? null : last.getDate(ScheduleDocuments.LAST_TIME));
            return out.toString();
        }

        void check(String when) {
            for (Document job : entries.find().into(new ArrayList<>())) {
                if (!Entries.HELD.equals(job.get(Entries.STATE))) {
                    Instant time = job.getDate(Entries.SCHEDULED_AT).toInstant();
                    Set<ObjectId> jobs = observed.computeIfAbsent(time, t -> new HashSet<>());
                    jobs.add(job.getObjectId(Entries.ID));
                    assertThat(jobs).as(failure(when, "two jobs for " + time)).hasSize(1);
                }
            }
            Document schedule = schedules.find().first();
            Document last = schedule == null ? null : schedule.get(ScheduleDocuments.LAST, Document.class);
            if (last != null && Boolean.FALSE.equals(last.getBoolean(ScheduleDocuments.LAST_PENDING))) {
                Document job = entries.find(new Document(Entries.ID, last.get(ScheduleDocuments.LAST_JOB))).first();
                assertThat(job == null ? null : job.get(Entries.STATE))
                        .as(failure(when, "a completed firing's job is still held")).isNotEqualTo(Entries.HELD);
            }
        }

        /** Faults off: every scheduler finishes its round, leases expire, then rounds until nothing is due. */
        void quiesceAndCheck() throws InterruptedException {
            for (Node node : nodes) {
                while (node.at != null) {
                    node.advance(Verdict.PROCEED);
                }
            }
            clock.advance(ScheduleFirer.LEASE_TIME.plusSeconds(1));
            Node node = nodes.get(0);
            for (int round = 0; round < 20; round++) {
                node.advance(Verdict.START_ROUND);
                while (node.at != null) {
                    node.advance(Verdict.PROCEED);
                }
                check("quiescing, round " + round);
            }
            Instant now = clock.instant();
            Document schedule = schedules.find().first();
            Instant next = schedule.getDate(ScheduleDocuments.NEXT_TIME).toInstant();
            assertThat(next).as(failure("end", "next time")).isAfter(now);
            List<Instant> expected = new ArrayList<>();
            for (Instant t = firstTime; t.isBefore(next); t = t.plus(EVERY)) {
                expected.add(t);
            }
            Map<Instant, Integer> counts = new LinkedHashMap<>();
            observed.forEach((time, jobs) -> counts.put(time, jobs.size()));
            assertThat(counts.keySet()).as(failure("end", "times enqueued")).containsExactlyElementsOf(expected);
            assertThat(counts.values()).as(failure("end", "jobs per time")).containsOnly(1);
            long held = entries.countDocuments(new Document(Entries.STATE, Entries.HELD));
            System.out.printf("schedule model seed %d: %d times enqueued once each, %d held left by stalled"
                    + " schedulers (never run)%n", seed, expected.size(), held);
        }

        private String failure(String when, String what) {
            List<String> recent = history.subList(Math.max(0, history.size() - 40), history.size());
            return "seed " + seed + ", " + when + ": " + what + "; reproduce with -Ddocjobs.model.seed=" + seed
                    + "\nlast steps:\n  " + String.join("\n  ", recent);
        }

        @Override
        public void close() throws Exception {
            for (Node node : nodes) {
                node.stop();
            }
            for (Node node : nodes) {
                node.queue.close();
            }
            client.close();
            server.shutdownNow();
        }

        /** One scheduler: a thread that runs rounds of {@code fireDue} when told, held before each try. */
        final class Node implements OperationRunner.Faults {
            final int index;
            final MongoJobQueue queue;
            final BlockingQueue<Verdict> grants = new LinkedBlockingQueue<>();
            final Thread thread;
            /** The call it waits before, or null when between rounds. Written by its thread, read by the test's. */
            volatile String at;
            volatile int generation;
            private Verdict current = Verdict.PROCEED;
            private boolean dying;
            int calls;
            /** What its last round that ended returned. */
            volatile List<Firing> firings = List.of();

            Node(int index, MongoJobQueue queue) {
                this.index = index;
                this.queue = queue;
                queue.faults(this);
                this.thread = new Thread(this::loop, "schedule-model-" + index);
                thread.setDaemon(true);
            }

            void start() {
                thread.start();
            }

            String name() {
                return "S" + index + "." + generation;
            }

            private void loop() {
                try {
                    while (true) {
                        Verdict verdict = grants.take();
                        if (verdict == Verdict.STOP) {
                            return;
                        }
                        String outcome = "idle";
                        try {
                            firings = queue.schedules().fireDue(name());
                        } catch (Killed killed) {
                            generation++;
                            outcome = "killed";
                        } catch (RuntimeException e) {
                            outcome = "round failed: " + e.getMessage();
                        }
                        dying = false;
                        at = null;
                        events.put(outcome);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void beforeTry(String operation, int attempt) {
                if (dying) {
                    throw new Killed();
                }
                try {
                    at = operation + " (try " + attempt + ")";
                    events.put("at " + at);
                    current = grants.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new Killed();
                }
                calls++;
                switch (current) {
                    case LOSE_REQUEST -> throw new MongoSocketReadException("injected: request of " + operation + " lost",
                            ADDRESS);
                    case KILL_BEFORE -> {
                        dying = true;
                        throw new Killed();
                    }
                    default -> {
                    }
                }
            }

            @Override
            public void afterTry(String operation, int attempt) {
                switch (current) {
                    case LOSE_REPLY -> throw new MongoSocketReadException("injected: reply of " + operation + " lost",
                            ADDRESS);
                    case KILL_AFTER -> {
                        dying = true;
                        throw new Killed();
                    }
                    default -> {
                    }
                }
            }

            /** Lets the thread go with {@code verdict}, and waits until it is held again or between rounds. */
            String advance(Verdict verdict) throws InterruptedException {
                String was = at == null ? "new round" : at;
                grants.put(verdict);
                String event = events.poll(30, TimeUnit.SECONDS);
                assertThat(event).as(failure("advance", name() + " did not come back from " + was)).isNotNull();
                return verdict + " " + was + " -> " + event;
            }

            /** Runs one round without faults; returns how many calls it made. */
            int roundCalls() throws InterruptedException {
                calls = 0;
                advance(Verdict.START_ROUND);
                while (at != null) {
                    advance(Verdict.PROCEED);
                }
                return calls;
            }

            /** Runs one round whose call number {@code call} (from 0) ends the scheduler with {@code kill}. */
            void roundKilledAt(int call, Verdict kill) throws InterruptedException {
                advance(Verdict.START_ROUND);
                for (int i = 0; at != null; i++) {
                    history.add(advance(i == call ? kill : Verdict.PROCEED));
                }
            }

            /** Starts a round if none is under way, and lets it go until it is held before {@code operation}. */
            void proceedTo(String operation) throws InterruptedException {
                if (at == null) {
                    advance(Verdict.START_ROUND);
                }
                while (at != null && !at.startsWith(operation)) {
                    history.add(advance(Verdict.PROCEED));
                }
                assertThat(at).as(failure("proceed", name() + " never came to " + operation)).isNotNull();
            }

            /**
             * Runs one round (or the rest of one under way) whose call number {@code call} (from 0)
             * gets {@code verdict}; returns how many calls it let go.
             */
            int roundWith(int call, Verdict verdict) throws InterruptedException {
                if (at == null) {
                    advance(Verdict.START_ROUND);
                }
                int i = 0;
                for (; at != null; i++) {
                    history.add(advance(i == call ? verdict : Verdict.PROCEED));
                }
                return i;
            }

            void stop() throws InterruptedException {
                while (at != null) {
                    advance(Verdict.PROCEED);
                }
                grants.put(Verdict.STOP);
                thread.join(10_000);
            }
        }
    }
}
