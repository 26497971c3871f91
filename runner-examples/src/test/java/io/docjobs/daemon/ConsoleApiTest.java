package io.docjobs.daemon;

import static io.docjobs.daemon.ConsoleDaemon.FLAKY;
import static io.docjobs.daemon.ConsoleDaemon.PARKED;
import static io.docjobs.daemon.ConsoleDaemon.TOKEN;
import static io.docjobs.daemon.ConsoleDaemon.assertError;
import static io.docjobs.daemon.ConsoleDaemon.bearer;
import static io.docjobs.daemon.ConsoleDaemon.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The console's JSON API on a running daemon with a populated queue: every endpoint's answer, and
 * bad input, missing or wrong tokens and cross-site requests answered with a clear 4xx and a JSON
 * {@code {"error", "hint"}}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleApiTest {
    private ConsoleDaemon console;

    @BeforeAll
    void start() {
        console = new ConsoleDaemon(TOKEN).populate(6);
    }

    @AfterAll
    void stop() {
        console.close();
    }

    @Nested
    class Reads {
        @Test
        void overviewCountsEachTypeAndCarriesThisDaemonsSeries() throws Exception {
            HttpResponse<String> response = console.get("/api/overview");
            assertThat(response.statusCode()).isEqualTo(200);
            Document body = json(response);
            List<Document> types = body.getList("types", Document.class);
            Document parked = types.stream().filter(t -> t.getString("type").equals(PARKED)).findFirst().orElseThrow();
            assertThat(parked.get("ready", Number.class).longValue()).isEqualTo(5);
            assertThat(parked.get("delayed", Number.class).longValue()).isEqualTo(1);
            assertThat(parked.keySet()).contains("leased", "expiredLeases", "dead", "oldestReadyAgeMs");
            assertThat(body.get("total", Document.class).get("dead", Number.class).longValue()).isGreaterThanOrEqualTo(1);
            assertThat(body.get("series", Document.class).getString("scope")).isEqualTo("this daemon");
            assertThat(body.getBoolean("writesEnabled")).isTrue();
        }

        @Test
        void everyAnswerCarriesTheSecurityHeadersAndNoSecret() throws Exception {
            for (String path : List.of("/", "/api/overview", "/dead-letters", "/jobs", "/schedules")) {
                HttpResponse<String> response = console.get(path);
                assertThat(response.statusCode()).as(path).isEqualTo(200);
                assertThat(response.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                        assertThat(csp).contains("script-src 'self'").contains("frame-ancestors 'none'"));
                assertThat(response.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
                assertThat(response.body()).as(path).doesNotContain(TOKEN).doesNotContain("mongodb://")
                        .doesNotContain("<script>");
            }
        }

        @Test
        void jobShowsItsPayloadIndentedAndCutWhenLarge() throws Exception {
            Document small = json(console.get("/api/jobs/" + console.parkedIds.get(0))).get("job", Document.class);
            assertThat(small.getString("type")).isEqualTo(PARKED);
            assertThat(small.getString("state")).isEqualTo("READY");
            Document payload = small.get("payload", Document.class);
            assertThat(payload.getBoolean("json")).isTrue();
            assertThat(payload.getString("text")).contains("\n").contains("\"n\": 0");

            Document big = json(console.get("/api/jobs/" + console.bigPayloadId)).get("job", Document.class)
                    .get("payload", Document.class);
            assertThat(big.getBoolean("truncated")).isTrue();
            assertThat(big.get("bytes", Number.class).longValue()).isGreaterThan(100_000);
            assertThat(big.getString("text").getBytes(StandardCharsets.UTF_8)).hasSizeLessThanOrEqualTo(64 * 1024);
        }

        @Test
        void unknownAndMalformedIdsAreClearErrors() throws Exception {
            assertError(console.get("/api/jobs/0123456789abcdef01234567"), 404, "no job with id");
            assertError(console.get("/api/jobs/not-an-id"), 400, "is not a job id");
            assertThat(console.get("/jobs/0123456789abcdef01234567").statusCode()).isEqualTo(404);
            assertThat(console.get("/jobs?id=" + console.parkedIds.get(0)).statusCode()).isEqualTo(303);
        }

        @Test
        void nextJobsAreTheReadyOnesInClaimOrder() throws Exception {
            List<Document> jobs = json(console.get("/api/jobs/next?type=" + PARKED + "&limit=3")).getList("jobs", Document.class);
            assertThat(jobs).extracting(job -> job.getInteger("priority")).containsExactly(4, 3, 2);
            assertError(console.get("/api/jobs/next?limit=0"), 400, "limit was \"0\"");
            assertError(console.get("/api/jobs/next?limit=many"), 400, "whole number");
            assertError(console.get("/api/jobs/next?tpye=" + PARKED), 400, "unknown parameter \"tpye\"");
        }

        @Test
        void deadLettersPageOlderWithTheCursor() throws Exception {
            Document first = json(console.get("/api/dead-letters?type=" + FLAKY + "&limit=2"));
            List<Document> page = first.getList("deadLetters", Document.class);
            assertThat(page).hasSize(2).allSatisfy(entry -> assertThat(entry.getString("state")).isEqualTo("DEAD"));
            assertThat(page.get(0).get("lastError", Document.class).getString("message")).contains("gateway said no");
            String next = first.getString("next");
            assertThat(next).isNotNull();
            List<Document> second = json(console.get("/api/dead-letters?type=" + FLAKY + "&limit=2&after="
                    + java.net.URLEncoder.encode(next, StandardCharsets.UTF_8))).getList("deadLetters", Document.class);
            assertThat(second).extracting(e -> e.getString("id")).doesNotContainAnyElementsOf(
                    page.stream().map(e -> e.getString("id")).toList());
            assertError(console.get("/api/dead-letters?after=garbage"), 400, "after");
            assertError(console.get("/api/dead-letters?limit=100000"), 400, "limit");
        }

        @Test
        void schedulesAreListed() throws Exception {
            List<Document> schedules = json(console.get("/api/schedules")).getList("schedules", Document.class);
            assertThat(schedules).extracting(s -> s.getString("id")).contains("hourly-report");
            assertThat(schedules.get(0).getString("nextTime")).isNotNull();
        }

        @Test
        void unknownPathsAndMethodsAreClearErrors() throws Exception {
            assertError(console.get("/api/nothing"), 404, "nothing at /api/nothing");
            assertError(console.post("/api/overview", bearer(TOKEN)), 405, "POST is not supported");
            assertError(console.get("/api/dead-letters/" + console.deadIds.get(0) + "/requeue"), 405, "GET is not supported");
            assertThat(console.get("/static/../pom.xml").statusCode()).isEqualTo(404);
            HttpResponse<String> page = console.get("/nowhere");
            assertThat(page.statusCode()).isEqualTo(404);
            assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
            assertThat(console.get("/static/console.js").statusCode()).isEqualTo(200);
            assertThat(console.get("/static/uPlot.iife.min.js").body()).contains("uPlot");
        }

        @Test
        void aForeignHostIsRefusedWhileBoundToLoopback() throws Exception {
            // java.net.http will not send a Host of our choosing; a raw request will.
            try (Socket socket = new Socket("127.0.0.1", console.daemon.httpPort())) {
                OutputStream out = socket.getOutputStream();
                out.write(("GET /api/overview HTTP/1.1\r\nHost: rebound.example:" + console.daemon.httpPort()
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine();
                assertThat(status).isEqualTo("HTTP/1.1 403 Forbidden");
            }
        }
    }

    @Nested
    class Writes {
        @Test
        void refusedWithoutTheRightTokenOrFromAnotherSite() throws Exception {
            String path = "/api/dead-letters/" + console.deadIds.get(0) + "/requeue";
            assertError(console.post(path), 401, "Authorization header is missing");
            assertError(console.post(path, bearer("wrong-token-wrong-token")), 401, "wrong console token");
            assertError(console.post(path, "Authorization", "Bearer " + TOKEN, "Origin", "https://evil.example"), 403,
                    "cross-site request refused");
            assertError(console.post(path, "Authorization", "Bearer " + TOKEN, "Sec-Fetch-Site", "cross-site"), 403,
                    "cross-site");
            assertThat(console.queue().get(console.deadIds.get(0)).orElseThrow().state()).isEqualTo(io.docjobs.JobState.DEAD);
        }

        @Test
        void requeueOneRunsItAgain() throws Exception {
            String id = console.deadIds.get(1);
            int runs = console.flakyRuns.get();
            HttpResponse<String> response = console.post("/api/dead-letters/" + id + "/requeue", "Authorization",
                    "Bearer " + TOKEN, "Origin", console.base());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(json(response).getString("status")).isEqualTo("REQUEUED");
            await().atMost(Duration.ofSeconds(20)).until(() -> console.flakyRuns.get() > runs
                    && console.queue().get(id).map(e -> e.state() == io.docjobs.JobState.DEAD).orElse(false));

            assertError(console.post("/api/dead-letters/0123456789abcdef01234567/requeue", bearer(TOKEN)), 404, "no job");
            assertError(console.post("/api/dead-letters/" + console.parkedIds.get(0) + "/requeue", bearer(TOKEN)), 409,
                    "is not dead");
            assertError(console.post("/api/dead-letters/nope/requeue", bearer(TOKEN)), 400, "is not a job id");
        }

        @Test
        void requeueAllAndPurgeActOnTheMatchingType() throws Exception {
            assertError(console.post("/api/dead-letters/purge", bearer(TOKEN)), 400, "allTypes=true");
            assertError(console.post("/api/dead-letters/purge?type=x&before=yesterday", bearer(TOKEN)), 400, "ISO-8601");
            Document none = json(console.post("/api/dead-letters/purge?type=console.none", bearer(TOKEN)));
            assertThat(none.get("purged", Number.class).longValue()).isZero();
            Document requeued = json(console.post("/api/dead-letters/requeue?type=console.none", bearer(TOKEN)));
            assertThat(requeued.get("requeued", Number.class).longValue()).isZero();
        }
    }
}
