package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.HandlerOptions;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.Schedule;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;

/**
 * A daemon with the console on a populated in-memory queue, for the console's tests: quick jobs
 * ({@value #QUICK}), a type that fails while {@link #failing} is set and dead-letters at the first
 * failure ({@value #FLAKY}), a type no handler serves so its jobs stay ready ({@value #PARKED}),
 * dead letters, a delayed job with a payload larger than the console shows, and a schedule; and a
 * type whose handler works until cancelled ({@value #BLOCKING}).
 */
final class ConsoleDaemon implements AutoCloseable {
    static final String TOKEN = "console-test-token-0123456789";
    /** The lease of a {@value #BLOCKING} job, short so its worker's heartbeat sees a cancellation soon. */
    static final Duration HEARTBEAT = Duration.ofMillis(600);
    static final String QUICK = "console.quick";
    static final String FLAKY = "console.flaky";
    static final String PARKED = "console.parked";
    static final String BLOCKING = "console.blocking";

    final AtomicBoolean failing = new AtomicBoolean(true);
    final AtomicInteger flakyRuns = new AtomicInteger();
    final AtomicInteger quickRuns = new AtomicInteger();
    final AtomicInteger blockingStarts = new AtomicInteger();
    final AtomicInteger blockingCancelled = new AtomicInteger();
    final EmbeddedDatabase database;
    final Daemon daemon;
    final List<String> deadIds = new ArrayList<>();
    final List<String> parkedIds = new ArrayList<>();
    String bigPayloadId;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    ConsoleDaemon(String token) {
        database = EmbeddedDatabase.start(null, 0);
        Map<String, HandlerLoader.Loaded> handlers = new LinkedHashMap<>();
        handlers.put(QUICK, new HandlerLoader.Loaded(QUICK, job -> quickRuns.incrementAndGet(),
                HandlerOptions.DEFAULTS, "test"));
        handlers.put(FLAKY, new HandlerLoader.Loaded(FLAKY, job -> {
            flakyRuns.incrementAndGet();
            if (failing.get()) {
                throw new IllegalStateException("the gateway said no to " + job.id());
            }
        }, HandlerOptions.builder().maxAttempts(1).build(), "test"));
        handlers.put(BLOCKING, new HandlerLoader.Loaded(BLOCKING, job -> {
            blockingStarts.incrementAndGet();
            try {
                new CountDownLatch(1).await(); // works until its worker interrupts it
            } catch (InterruptedException e) {
                if (job.isCancelled()) {
                    blockingCancelled.incrementAndGet();
                }
            }
        }, HandlerOptions.builder().leaseExtension(HEARTBEAT).build(), "test"));
        daemon = Daemon.start(DemoCommand.demoConfig(0, token), handlers, database);
    }

    /** Dead letters, ready jobs, a big delayed payload and a schedule; returns when the dead letters are dead. */
    ConsoleDaemon populate(int deadLetters) {
        JobQueue queue = queue();
        for (int i = 0; i < deadLetters; i++) {
            deadIds.add(queue.enqueue(JobRequest.builder(FLAKY).payload(new Document("n", i).append("note", "dead #" + i))
                    .build()).id());
        }
        for (int i = 0; i < 5; i++) {
            parkedIds.add(queue.enqueue(JobRequest.builder(PARKED).payload(new Document("n", i)).priority(i).build()).id());
        }
        StringBuilder big = new StringBuilder();
        while (big.length() < 100_000) {
            big.append("0123456789abcdef");
        }
        bigPayloadId = queue.enqueue(JobRequest.builder(PARKED).payload(new Document("blob", big.toString()))
                .delay(Duration.ofHours(1)).build()).id();
        queue.schedules().define(Schedule.builder("hourly-report", PARKED).interval(Duration.ofHours(1)).build());
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> queue.stats().forType(FLAKY).dead() == deadLetters);
        return this;
    }

    /** Enqueues a job of {@value #BLOCKING} and returns its id once its handler runs. */
    String running() {
        int starts = blockingStarts.get();
        String id = queue().enqueue(JobRequest.builder(BLOCKING).payload(new Document("work", "until cancelled"))
                .visibilityTimeout(HEARTBEAT).build()).id();
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> blockingStarts.get() > starts);
        return id;
    }

    /** {@return how many jobs ended with the outcome, by this daemon's {@code docjobs.jobs.finished}} */
    double finished(String outcome) {
        return daemon.registry().find("docjobs.jobs.finished").tag("outcome", outcome).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    JobQueue queue() {
        return daemon.queue();
    }

    String base() {
        return "http://127.0.0.1:" + daemon.httpPort();
    }

    HttpResponse<String> get(String path, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).GET(), headers);
    }

    HttpResponse<String> post(String path, String... headers) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(base() + path)).POST(HttpRequest.BodyPublishers.noBody()), headers);
    }

    HttpResponse<String> send(HttpRequest.Builder request, String... headers) throws Exception {
        if (headers.length > 0) {
            request.headers(headers);
        }
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String[] bearer(String token) {
        return new String[] {"Authorization", "Bearer " + token};
    }

    /** {@return the body of a JSON answer} */
    static Document json(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("application/json"));
        return Document.parse(response.body());
    }

    /** Asserts an API error: the status, an {@code error} containing {@code error}, and a hint. */
    static void assertError(HttpResponse<String> response, int status, String error) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        Document body = json(response);
        assertThat(body.getString("error")).contains(error);
        assertThat(body.getString("hint")).isNotBlank();
    }

    @Override
    public void close() {
        daemon.close(); // closes the embedded database too
    }
}
