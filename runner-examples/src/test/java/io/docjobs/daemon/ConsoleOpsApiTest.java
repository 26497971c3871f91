package io.docjobs.daemon;

import static io.docjobs.daemon.ConsoleDaemon.FLAKY;
import static io.docjobs.daemon.ConsoleDaemon.PARKED;
import static io.docjobs.daemon.ConsoleDaemon.TOKEN;
import static io.docjobs.daemon.ConsoleDaemon.assertError;
import static io.docjobs.daemon.ConsoleDaemon.bearer;
import static io.docjobs.daemon.ConsoleDaemon.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.AuditRecord;
import io.docjobs.JobAdmin;
import io.docjobs.JobRequest;
import io.docjobs.JobState;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The console's job list, supervisor list and admin operations over the JSON API: listing by
 * state, type, order and dedup key with cursors; cancel, delete, run now and priority with who
 * asked recorded in the audit log; refusals as 409 with the sentence saying what to do; bad input
 * as 400, unknown ids as 404, missing or wrong tokens as 401.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleOpsApiTest {
    /** A type no handler serves: its jobs wait, so each test acts on jobs of its own. */
    private static final String IDLE = "console.idle";
    private static final String UNKNOWN_ID = "0123456789abcdef01234567";

    private ConsoleDaemon console;

    @BeforeAll
    void start() {
        console = new ConsoleDaemon(TOKEN).populate(3);
    }

    @AfterAll
    void stop() {
        console.close();
    }

    private String idle(String dedupKey) {
        return console.queue().enqueue(JobRequest.builder(IDLE).payload("{}").dedupKey(dedupKey).build()).id();
    }

    private HttpResponse<String> act(String id, String action, String... headers) throws Exception {
        String[] all = new String[headers.length + 2];
        all[0] = "Authorization";
        all[1] = "Bearer " + TOKEN;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return console.post("/api/jobs/" + id + "/" + action, all);
    }

    private List<AuditRecord> audit(String id) {
        return console.queue().auditLog(id, 10);
    }

    private static List<String> ids(Document page) {
        return page.getList("jobs", Document.class).stream().map(job -> job.getString("id")).toList();
    }

    @Test
    void jobsListByTypeInClaimOrderAPageAtATime() throws Exception {
        Document first = json(console.get("/api/jobs?type=" + PARKED + "&order=claim&limit=2"));
        assertThat(first.getList("jobs", Document.class)).extracting(job -> job.getInteger("priority"))
                .containsExactly(4, 3);
        Document second = json(console.get("/api/jobs?type=" + PARKED + "&order=claim&limit=2&after="
                + URLEncoder.encode(first.getString("next"), StandardCharsets.UTF_8)));
        assertThat(second.getList("jobs", Document.class)).extracting(job -> job.getInteger("priority"))
                .containsExactly(2, 1);
    }

    @Test
    void jobsListByStateNewestFirstAndByDedupKey() throws Exception {
        List<Document> dead = json(console.get("/api/jobs?state=dead&type=" + FLAKY)).getList("jobs", Document.class);
        assertThat(dead).isNotEmpty().allSatisfy(job -> assertThat(job.getString("state")).isEqualTo("DEAD"));
        // Newest first: ids of one process grow with time.
        assertThat(dead).extracting(job -> job.getString("id")).contains(console.deadIds.get(2))
                .isSortedAccordingTo(Comparator.reverseOrder());

        String id = idle("order-4711");
        assertThat(ids(json(console.get("/api/jobs?dedupKey=order-4711")))).containsExactly(id);
        assertThat(ids(json(console.get("/api/jobs?dedupKey=order-0000")))).isEmpty();
    }

    @Test
    void badListingInputIsA400NamingTheParameter() throws Exception {
        assertError(console.get("/api/jobs?state=waiting"), 400, "state was \"waiting\"");
        assertError(console.get("/api/jobs?order=oldest"), 400, "order was \"oldest\"");
        assertError(console.get("/api/jobs?order=claim&state=dead"), 400, "claim order lists ready jobs only");
        assertError(console.get("/api/jobs?after=garbage"), 400, "after");
        assertError(console.get("/api/jobs?limit=0"), 400, "limit");
        assertError(console.get("/api/jobs?sort=newest"), 400, "unknown parameter \"sort\"");
        assertThat(console.get("/jobs?order=oldest").statusCode()).isEqualTo(400);
    }

    @Test
    void supervisorsListThisDaemonAlive() throws Exception {
        List<Document> supervisors = json(console.get("/api/supervisors")).getList("supervisors", Document.class);
        assertThat(supervisors).singleElement().satisfies(supervisor -> {
            assertThat(supervisor.getString("status")).isEqualTo("ALIVE");
            assertThat(supervisor.getString("name")).isEqualTo("demo");
            assertThat(supervisor.getList("types", String.class)).contains(FLAKY, ConsoleDaemon.QUICK);
            assertThat(supervisor.get("counts", Document.class).keySet()).contains("succeeded", "queueWaitCount");
        });
        Document overview = json(console.get("/api/overview"));
        assertThat(overview.get("fleet", Document.class).getString("scope")).isEqualTo("fleet");
        assertThat(overview.get("fleet", Document.class).get("alive", Number.class).intValue()).isEqualTo(1);
    }

    @Test
    void cancelAWaitingJobRemovesItAndRecordsTheOperator() throws Exception {
        String id = idle("cancel-me");
        HttpResponse<String> response = act(id, "cancel", "X-DocJobs-Operator", "Ad%C3%A9le%20Ops");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        Document result = json(response);
        assertThat(result.getString("status")).isEqualTo("CANCELLED");
        assertThat(result.getString("message")).contains("cancelled job " + id);
        assertThat(console.queue().get(id)).isEmpty();
        assertThat(audit(id)).singleElement().satisfies(record -> {
            assertThat(record.by()).isEqualTo("Adéle Ops");
            assertThat(record.operation()).isEqualTo("cancel");
        });
    }

    @Test
    void cancelARunningJobIsARequestItsWorkerEndsAtTheNextHeartbeat() throws Exception {
        String id = console.running();
        Document running = json(console.get("/api/jobs/" + id)).get("job", Document.class);
        assertThat(running.getString("state")).isEqualTo("LEASED");
        assertThat(running.getString("claimedAt")).isNotNull();
        assertError(act(id, "delete"), 409, "delete refused: job " + id + " is leased");
        assertError(act(id, "priority?priority=3"), 409, "is leased");
        double cancelled = console.finished("cancelled");

        Document result = json(act(id, "cancel", "X-DocJobs-Operator", "ops-bot"));
        assertThat(result.getString("status")).isEqualTo("CANCEL_REQUESTED");
        assertThat(result.getString("message")).contains("next heartbeat");
        assertThat(result.getString("by")).isEqualTo("ops-bot");
        // The worker may end it before any further read: the audit log keeps the request.
        assertThat(audit(id)).anySatisfy(record -> {
            assertThat(record.by()).isEqualTo("ops-bot");
            assertThat(record.outcome()).isEqualTo("CANCEL_REQUESTED");
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> console.queue().get(id).isEmpty()
                && console.finished("cancelled") == cancelled + 1);
        assertError(act(id, "cancel"), 404, "no job with id " + id);
    }

    @Test
    void deleteRunNowAndPriorityActOnTheirStatesAndRefuseOthers() throws Exception {
        String dead = console.deadIds.get(0);
        assertError(act(dead, "cancel"), 409, "cancel refused");
        HttpResponse<String> refused = act(dead, "priority?priority=9");
        assertError(refused, 409, "is dead");
        assertThat(json(refused).getString("hint")).contains("requeue it first");

        String waiting = idle("prioritise-me");
        Document priority = json(act(waiting, "priority?priority=42"));
        assertThat(priority.getString("status")).isEqualTo("PRIORITY_SET");
        assertThat(console.queue().get(waiting).orElseThrow().priority()).isEqualTo(42);
        assertError(act(waiting, "priority"), 400, "priority is missing");
        assertError(act(waiting, "priority?priority=high"), 400, "whole number");
        assertThat(json(act(waiting, "run-now")).getString("status")).isEqualTo("ALREADY_DUE");

        String delayed = console.queue().enqueue(JobRequest.builder(IDLE).payload("{}").delay(Duration.ofHours(1))
                .build()).id();
        assertThat(json(act(delayed, "run-now")).getString("status")).isEqualTo("MADE_DUE");
        assertThat(console.queue().get(delayed).orElseThrow().visibleAt()).isBeforeOrEqualTo(console.queue().now());

        assertThat(json(act(waiting, "delete")).getString("status")).isEqualTo("DELETED");
        assertThat(json(act(dead, "delete")).getString("status")).isEqualTo("DELETED");
        assertThat(console.queue().get(dead)).isEmpty();
        assertThat(audit(waiting)).extracting(AuditRecord::operation).containsSubsequence("delete", "run-now", "priority");
        assertThat(audit(waiting)).extracting(AuditRecord::by).containsOnly("console@127.0.0.1");
    }

    @Test
    void writesNeedTheTokenAValidOperatorAndAKnownJob() throws Exception {
        String id = idle("guarded");
        assertError(console.post("/api/jobs/" + id + "/cancel"), 401, "Authorization header is missing");
        assertError(console.post("/api/jobs/" + id + "/delete", bearer("wrong-token-wrong-token")), 401, "wrong console token");
        assertError(act(id, "delete", "Origin", "https://evil.example"), 403, "cross-site");
        assertError(act(id, "delete", "X-DocJobs-Operator", "%ZZ"), 400, "percent-encoded");
        assertError(act(id, "delete", "X-DocJobs-Operator", "bad%0Aname"), 400, "printable");
        assertError(act(id, "delete", "X-DocJobs-Operator", "x".repeat(JobAdmin.MAX_BY_LENGTH + 1)), 400, "printable");
        assertError(act(UNKNOWN_ID, "delete"), 404, "no job with id");
        assertError(act("nope", "run-now"), 400, "is not a job id");
        assertError(console.get("/api/jobs/" + id + "/cancel"), 405, "GET is not supported");
        assertThat(console.queue().get(id).orElseThrow().state()).isEqualTo(JobState.READY);
    }

    @Test
    void requeueAndPurgeRecordWhoAsked() throws Exception {
        String dead = console.deadIds.get(1);
        assertThat(console.post("/api/dead-letters/" + dead + "/requeue", "Authorization", "Bearer " + TOKEN,
                "X-DocJobs-Operator", "night-shift").statusCode()).isEqualTo(200);
        assertThat(audit(dead)).extracting(AuditRecord::by).contains("night-shift");
    }
}
