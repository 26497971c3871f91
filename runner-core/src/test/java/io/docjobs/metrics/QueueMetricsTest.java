package io.docjobs.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.docjobs.DatabaseUnavailableException;
import io.docjobs.JobError;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Lease;
import io.docjobs.ManualQueues;
import io.docjobs.testing.ManualClock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The queue-depth gauges: exact counts per type and state and the oldest ready wait, on a queue
 * whose time is a manual clock. The gauges show what the last refresh read; the tests refresh by
 * hand ({@link QueueMetrics#refresh()}) after the binder's own first refresh, with an interval long
 * enough that it does not refresh again meanwhile.
 */
@Timeout(30)
class QueueMetricsTest {
    private static final List<String> STATES = List.of("ready", "delayed", "leased", "expired", "dead");
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-11-30T12:00:00Z"));
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private JobQueue queue;
    private QueueMetrics metrics;

    @BeforeEach
    void openQueue() {
        queue = queues.open(clock);
    }

    @AfterEach
    void closeAll() {
        if (metrics != null) {
            metrics.close();
        }
    }

    /** Binds gauges refreshed hourly and waits for the first refresh, which registers the types present. */
    private void bind(String typePresent) {
        metrics = new QueueMetrics(queue, Duration.ofHours(1));
        metrics.bindTo(registry);
        await().atMost(Duration.ofSeconds(10)).until(() -> gauge("docjobs.queue.depth", typePresent, "ready") != null);
    }

    private Gauge gauge(String name, String type, String state) {
        var search = registry.find(name).tag("queue", queue.name()).tag("type", type);
        return (state == null ? search : search.tag("state", state)).gauge();
    }

    private double depth(String type, String state) {
        Gauge gauge = gauge("docjobs.queue.depth", type, state);
        assertThat(gauge).as("depth gauge of %s/%s", type, state).isNotNull();
        return gauge.value();
    }

    private double oldestReadyAge(String type) {
        Gauge gauge = gauge("docjobs.queue.oldest.ready.age", type, null);
        assertThat(gauge).as("oldest ready age gauge of %s", type).isNotNull();
        return gauge.value();
    }

    private void assertDepths(String type, double ready, double delayed, double leased, double expired, double dead) {
        double[] expected = {ready, delayed, leased, expired, dead};
        for (int i = 0; i < STATES.size(); i++) {
            assertThat(depth(type, STATES.get(i))).as("%s entries %s", type, STATES.get(i)).isEqualTo(expected[i]);
        }
    }

    private String enqueue(JobRequest.Builder request) {
        return queue.enqueue(request.build()).id();
    }

    private Lease claim(String type) {
        return queue.claim(Set.of(type), "w").orElseThrow();
    }

    @Test
    void gaugesCountEveryStatePerTypeAndTheOldestReadyWaitInSeconds() {
        Instant start = clock.instant();
        // One leased entry (10 min lease), one whose 5 s lease will have expired, one dead letter:
        // each enqueued at top priority and claimed at once.
        enqueue(JobRequest.builder("email").payload("leased").priority(9).visibilityTimeout(Duration.ofMinutes(10)));
        assertThat(claim("email").payload()).isEqualTo("leased");
        enqueue(JobRequest.builder("email").payload("expires").priority(9).visibilityTimeout(Duration.ofSeconds(5)));
        assertThat(claim("email").payload()).isEqualTo("expires");
        enqueue(JobRequest.builder("email").payload("dies").priority(9).maxAttempts(1));
        assertThat(queue.deadLetter(claim("email"), JobError.of("poison"))).isNotNull();
        // Two ready entries, the older 40.5 s old at the end; one delayed by an hour.
        enqueue(JobRequest.builder("email").payload("oldest"));
        clock.advance(Duration.ofSeconds(10));
        enqueue(JobRequest.builder("sms").payload("sms, 30.5 s old at the end"));
        clock.advance(Duration.ofSeconds(20));
        enqueue(JobRequest.builder("email").payload("newer"));
        enqueue(JobRequest.builder("email").payload("later").delay(Duration.ofHours(1)));
        clock.advance(Duration.ofMillis(10_500));
        assertThat(clock.instant()).isEqualTo(start.plusMillis(40_500));

        bind("email");

        assertDepths("email", 2, 1, 1, 1, 1);
        assertThat(oldestReadyAge("email")).isEqualTo(40.5);
        assertDepths("sms", 1, 0, 0, 0, 0);
        assertThat(oldestReadyAge("sms")).isEqualTo(30.5);
        assertThat(gauge("docjobs.queue.oldest.ready.age", "sms", null).getId().getBaseUnit()).isEqualTo("seconds");
    }

    @Test
    void gaugesShowTheLastRefreshNotEachScrape() {
        enqueue(JobRequest.builder("email").payload("first"));
        bind("email");
        assertDepths("email", 1, 0, 0, 0, 0);
        assertThat(oldestReadyAge("email")).isZero();

        enqueue(JobRequest.builder("email").payload("second"));
        clock.advance(Duration.ofSeconds(12));
        assertThat(depth("email", "ready")).as("reading a gauge does not query the database").isEqualTo(1);
        assertThat(oldestReadyAge("email")).isZero();

        metrics.refresh();

        assertDepths("email", 2, 0, 0, 0, 0);
        assertThat(oldestReadyAge("email")).isEqualTo(12.0);
    }

    @Test
    void aTypeThatLeavesTheQueueDropsToZeroAndANewTypeGetsGaugesAtTheNextRefresh() {
        enqueue(JobRequest.builder("email").payload("stays"));
        enqueue(JobRequest.builder("sms").payload("goes"));
        clock.advance(Duration.ofSeconds(3));
        bind("sms");
        assertDepths("sms", 1, 0, 0, 0, 0);
        assertThat(oldestReadyAge("sms")).isEqualTo(3.0);

        assertThat(queue.done(claim("sms"))).isTrue();
        enqueue(JobRequest.builder("push").payload("new"));
        assertThat(gauge("docjobs.queue.depth", "push", "ready")).as("not seen by a refresh yet").isNull();
        metrics.refresh();

        assertDepths("sms", 0, 0, 0, 0, 0);
        assertThat(oldestReadyAge("sms")).isZero();
        assertDepths("email", 1, 0, 0, 0, 0);
        assertThat(oldestReadyAge("email")).isEqualTo(3.0);
        assertDepths("push", 1, 0, 0, 0, 0);
    }

    @Test
    void itRefreshesOnItsIntervalUntilClosed() {
        AtomicInteger statsCalls = new AtomicInteger();
        AtomicReference<Thread> refresher = new AtomicReference<>();
        JobQueue counting = counting(queue, statsCalls, refresher, call -> false);
        enqueue(JobRequest.builder("email").payload("x"));
        metrics = new QueueMetrics(counting, Duration.ofMillis(20));
        metrics.bindTo(registry);

        await().atMost(Duration.ofSeconds(10)).until(() -> statsCalls.get() >= 3);
        assertThat(refresher.get().getName()).isEqualTo("docjobs-queue-metrics-" + queue.name());
        assertThatThrownBy(() -> metrics.bindTo(new SimpleMeterRegistry())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(queue.name()).hasMessageContaining("already bound");

        metrics.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> !refresher.get().isAlive());
        int calls = statsCalls.get();
        enqueue(JobRequest.builder("email").payload("y"));
        assertThat(statsCalls).as("no refresh after close").hasValue(calls);
        assertThat(depth("email", "ready")).as("the last values stay").isEqualTo(1);
    }

    @Test
    void aFailedRefreshKeepsTheLastValuesAndTheRefresherGoing() {
        AtomicInteger statsCalls = new AtomicInteger();
        AtomicReference<Thread> refresher = new AtomicReference<>();
        JobQueue failing = counting(queue, statsCalls, refresher, call -> call == 2 || call == 3);
        enqueue(JobRequest.builder("email").payload("x"));
        metrics = new QueueMetrics(failing, Duration.ofMillis(20));
        metrics.bindTo(registry);
        await().atMost(Duration.ofSeconds(10)).until(() -> gauge("docjobs.queue.depth", "email", "ready") != null);

        enqueue(JobRequest.builder("email").payload("y"));

        await().atMost(Duration.ofSeconds(10)).until(() -> statsCalls.get() >= 5);
        await().atMost(Duration.ofSeconds(10)).until(() -> depth("email", "ready") == 2);
        assertThat(refresher.get().isAlive()).isTrue();
    }

    @Test
    void theRefreshIntervalMustBePositiveAndAtMostAnHour() {
        for (Duration bad : new Duration[] {null, Duration.ZERO, Duration.ofMillis(-1), QueueMetrics.MAX_REFRESH.plusMillis(1)}) {
            assertThatThrownBy(() -> new QueueMetrics(queue, bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("refresh was " + bad);
        }
    }

    /** {@code real}, counting its {@code stats()} calls, remembering the calling thread, failing the calls {@code fail} names. */
    private static JobQueue counting(JobQueue real, AtomicInteger statsCalls, AtomicReference<Thread> caller,
            IntPredicate fail) {
        return (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(), new Class<?>[] {JobQueue.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("stats")) {
                        int call = statsCalls.incrementAndGet();
                        caller.set(Thread.currentThread());
                        if (fail.test(call)) {
                            throw new DatabaseUnavailableException("injected stats failure #" + call, null);
                        }
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
