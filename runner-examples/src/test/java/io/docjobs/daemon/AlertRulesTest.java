package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.bson.Document;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * config/docjobs-alerts.yml has the shape Prometheus expects, config/prometheus.yml loads it, and
 * every metric its expressions (and config/grafana-dashboard.json's) select is one a running daemon
 * serves on /metrics: the names are taken from the scrape of a daemon started as {@code run} starts
 * it (same registry, JVM binders and histogram settings) with a handler, a finished job and a
 * waiting one, so that every meter exists.
 */
class AlertRulesTest {
    private static final Path RULES = Path.of("..", "config", "docjobs-alerts.yml");
    private static final Path PROMETHEUS = Path.of("..", "config", "prometheus.yml");
    private static final Path DASHBOARD = Path.of("..", "config", "grafana-dashboard.json");
    private static final Path README = Path.of("..", "README.md");
    /** Series Prometheus itself writes for every scrape target; no daemon serves them. */
    private static final Set<String> PROMETHEUS_SERIES = Set.of("up");
    private static final Set<String> SEVERITIES = Set.of("critical", "warning");

    @TempDir
    static Path dir;

    /** Every sample name the daemon's /metrics serves. */
    private static Set<String> served;

    private static String scraped;

    @BeforeAll
    static void scrapeADaemon() throws IOException {
        DaemonConfig config = new ConfigLoader(Map.of()).load(Files.writeString(dir.resolve("docjobs.yaml"), """
                database:
                  embedded: true
                  operationTimeout: 5s
                discoverHandlers: false
                handlers:
                  email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                http:
                  enabled: false
                supervisor:
                  depthRefresh: 100ms
                """), true);
        EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
        try (Daemon daemon = Daemon.start(config, HandlerLoader.load(config, AlertRulesTest.class.getClassLoader()),
                database)) {
            daemon.queue().enqueue("email.send", "{\"to\": \"a@example.com\"}", Duration.ofSeconds(30));
            daemon.queue().enqueue(JobRequest.builder("email.send").jsonPayload("{\"to\": \"b@example.com\"}")
                    .delay(Duration.ofHours(1)).build());
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                String scrape = daemon.registry().scrape();
                // a handler ran (timers exist once they record) and the depth gauges were refreshed
                return scrape.lines().anyMatch(line -> line.startsWith("docjobs_jobs_finished_total{")
                                && line.contains("outcome=\"success\"") && line.endsWith(" 1.0"))
                        && scrape.contains("docjobs_handler_duration_seconds_bucket{")
                        && scrape.contains("docjobs_queue_wait_seconds_bucket{")
                        && scrape.contains("docjobs_queue_depth{")
                        && scrape.contains("docjobs_queue_oldest_ready_age_seconds{");
            });
            scraped = daemon.registry().scrape();
            served = sampleNames(scraped);
        } finally {
            database.close();
        }
        assertThat(served).contains("docjobs_polls_total", "docjobs_entries_quarantined_total", "jvm_threads_live_threads");
    }

    /** The names of the samples in a Prometheus text-format scrape. */
    static Set<String> sampleNames(String scrape) {
        Set<String> names = new TreeSet<>();
        scrape.lines().filter(line -> !line.isBlank() && !line.startsWith("#"))
                .forEach(line -> names.add(line.split("[{ ]", 2)[0]));
        return names;
    }

    /** The names {@code expr} selects that are neither in {@code served} nor Prometheus's own. */
    static Set<String> unknownNames(String expr, Set<String> served) {
        Set<String> unknown = new TreeSet<>(PromQlMetricNames.of(expr));
        unknown.removeAll(served);
        unknown.removeAll(PROMETHEUS_SERIES);
        return unknown;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rules() throws IOException {
        Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(RULES));
        assertThat(root).as("the rules file is a mapping").isInstanceOf(Map.class);
        assertThat(((Map<String, Object>) root).keySet()).containsExactly("groups");
        List<Map<String, Object>> groups = (List<Map<String, Object>>) ((Map<String, Object>) root).get("groups");
        assertThat(groups).isNotEmpty();
        List<Map<String, Object>> rules = new ArrayList<>();
        for (Map<String, Object> group : groups) {
            assertThat(group.keySet()).containsExactlyInAnyOrder("name", "rules");
            assertThat(group.get("name")).isInstanceOf(String.class);
            assertThat((List<Map<String, Object>>) group.get("rules")).isNotEmpty().allSatisfy(rules::add);
        }
        return rules;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyRuleIsAnAlertWithExpressionDurationSeverityAndTexts() throws IOException {
        Set<String> alerts = new HashSet<>();
        for (Map<String, Object> rule : rules()) {
            assertThat(rule.keySet()).containsExactlyInAnyOrder("alert", "expr", "for", "labels", "annotations");
            String alert = (String) rule.get("alert");
            assertThat(alert).matches("Docjobs[A-Za-z]+");
            assertThat(alerts.add(alert)).as("%s is the only alert of that name", alert).isTrue();
            assertThat(rule.get("expr")).as(alert).isInstanceOf(String.class);
            assertThat((String) rule.get("expr")).as(alert).isNotBlank();
            assertThat(rule.get("for")).as(alert).isInstanceOf(String.class);
            assertThat((String) rule.get("for")).as(alert + " for").matches("([0-9]+(ms|s|m|h|d|w|y))+");
            Map<String, Object> labels = (Map<String, Object>) rule.get("labels");
            assertThat(labels.get("severity")).as(alert + " severity").isIn(SEVERITIES);
            Map<String, Object> annotations = (Map<String, Object>) rule.get("annotations");
            assertThat(annotations.keySet()).as(alert).containsExactlyInAnyOrder("summary", "description");
            annotations.forEach((key, text) -> assertThat(text).as(alert + " " + key).isInstanceOf(String.class)
                    .asString().isNotBlank());
        }
        assertThat(alerts).as("alerts, each named in README's Operations").containsExactlyInAnyOrder(
                "DocjobsDaemonDown", "DocjobsNotPolling", "DocjobsQueueStuck", "DocjobsDeadLettersGrowing",
                "DocjobsLeaseLosses", "DocjobsDatabaseErrors", "DocjobsEntriesQuarantined", "DocjobsHandlersStuck");
        String readme = Files.readString(README);
        assertThat(alerts.stream().filter(alert -> !readme.contains("`" + alert + "`")).sorted())
                .as("alerts README.md does not name").isEmpty();
    }

    @Test
    void everyMetricARuleSelectsIsOneTheDaemonServes() throws IOException {
        Map<String, Set<String>> unknown = new LinkedHashMap<>();
        Set<String> used = new TreeSet<>();
        for (Map<String, Object> rule : rules()) {
            String expr = (String) rule.get("expr");
            Set<String> names = PromQlMetricNames.of(expr);
            assertThat(names).as("metrics of %s", rule.get("alert")).isNotEmpty();
            used.addAll(names);
            Set<String> missing = unknownNames(expr, served);
            if (!missing.isEmpty()) {
                unknown.put((String) rule.get("alert"), missing);
            }
        }
        assertThat(unknown).as("metrics the rules use but the daemon does not serve").isEmpty();
        assertThat(used).contains("docjobs_queue_oldest_ready_age_seconds", "docjobs_queue_depth",
                "docjobs_lease_losses_total", "docjobs_db_errors_total", "docjobs_polls_total",
                "docjobs_entries_quarantined_total");
    }

    @Test
    void everyMetricTheDashboardChartsIsOneTheDaemonServes() throws IOException {
        List<String> exprs = new ArrayList<>();
        collectExprs(Document.parse(Files.readString(DASHBOARD)), exprs);
        assertThat(exprs).hasSizeGreaterThan(10);
        Map<String, Set<String>> unknown = new LinkedHashMap<>();
        exprs.forEach(expr -> {
            Set<String> missing = unknownNames(expr, served);
            if (!missing.isEmpty()) {
                unknown.put(expr, missing);
            }
        });
        assertThat(unknown).as("metrics the dashboard charts but the daemon does not serve").isEmpty();
    }

    /** The "expr" of every panel target, anywhere in the dashboard's JSON. */
    private static void collectExprs(Object node, List<String> exprs) {
        if (node instanceof Document document) {
            document.forEach((key, value) -> {
                if (key.equals("expr") && value instanceof String expr) {
                    exprs.add(expr);
                } else {
                    collectExprs(value, exprs);
                }
            });
        } else if (node instanceof List<?> list) {
            list.forEach(element -> collectExprs(element, exprs));
        }
    }

    @Test
    void aMetricTheDaemonDoesNotServeIsReported() {
        // Micrometer names as they are not rendered: the unit suffix or _total left out, dots kept.
        assertThat(unknownNames("max by (queue, type) (docjobs_queue_oldest_ready_age) > 600", served))
                .containsExactly("docjobs_queue_oldest_ready_age");
        assertThat(unknownNames("sum(increase(docjobs_lease_losses[15m])) > 0 or docjobs_db_errors_total", served))
                .containsExactly("docjobs_lease_losses");
        assertThat(unknownNames("rate(docjobs_handler_duration_seconds_sum[5m]) / rate(docjobs_handler_duration[5m])",
                served)).containsExactly("docjobs_handler_duration");
        assertThat(unknownNames("up{job=\"docjobs\"} == 0", served)).isEmpty();
    }

    @Test
    void theExtractorSkipsLabelsFunctionsKeywordsNumbersAndDurations() {
        assertThat(PromQlMetricNames.of("""
                sum by (instance, queue) (increase(docjobs_polls_total{result=~"hit|empty", queue!="a}b"}[10m])) == 0
                and on (instance, queue)
                sum by (instance, queue) (docjobs_jobs_in_flight) == 0
                """)).containsExactly("docjobs_jobs_in_flight", "docjobs_polls_total");
        assertThat(PromQlMetricNames.of("max without(le) (delta(a_gauge{state='dead'}[15m] offset 1h30m)) > bool 0.5e1"))
                .containsExactly("a_gauge");
        assertThat(PromQlMetricNames.of("histogram_quantile(0.99, SUM(rate(x_bucket[5m:1m])) BY (le)) "
                + "/ ignoring(type) group_left(outcome) y unless z @ start() # a comment naming not_a_metric"))
                .containsExactly("x_bucket", "y", "z");
        assertThat(PromQlMetricNames.of("label_replace(topk(3, a:recorded:rate5m), \"dst\", \"$1\", \"src\", \"(.*)\")"))
                .containsExactly("a:recorded:rate5m");
    }

    @Test
    void theExtractorRejectsUnknownFunctionsAndUnbalancedBrackets() {
        assertThatThrownBy(() -> PromQlMetricNames.of("sum(rat(docjobs_polls_total[5m]))"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown PromQL function \"rat\"");
        assertThatThrownBy(() -> PromQlMetricNames.of("sum(rate(docjobs_polls_total[5m])"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unbalanced");
        assertThatThrownBy(() -> PromQlMetricNames.of("docjobs_polls_total{result=\"hit\""))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> PromQlMetricNames.of("rate(docjobs_polls_total[5m)]"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unexpected");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theShippedPrometheusConfigurationLoadsTheRules() throws IOException {
        Map<String, Object> prometheus = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(PROMETHEUS));
        List<String> ruleFiles = (List<String>) prometheus.get("rule_files");
        assertThat(ruleFiles).containsExactly("docjobs-alerts.yml");
        assertThat(PROMETHEUS.resolveSibling(ruleFiles.get(0))).as("relative to prometheus.yml").isRegularFile();
        List<Map<String, Object>> scrapes = (List<Map<String, Object>>) prometheus.get("scrape_configs");
        assertThat(scrapes).extracting(scrape -> scrape.get("job_name"))
                .as("the job DocjobsDaemonDown selects with up{job=\"docjobs\"}").contains("docjobs");
    }

    /** Timers publish a small fixed set of buckets per series, not Micrometer's ~70 percentile buckets. */
    @Test
    void timersPublishABoundedSetOfBuckets() {
        for (String timer : List.of("docjobs_handler_duration_seconds_bucket{", "docjobs_queue_wait_seconds_bucket{")) {
            List<String> buckets = scraped.lines().filter(line -> line.startsWith(timer)).toList();
            long series = buckets.stream().map(line -> line.replaceAll("le=\"[^\"]*\",?", "").split(" ")[0]).distinct().count();
            assertThat(series).as(timer).isPositive();
            assertThat(buckets).as(timer + " buckets per series").hasSize((int) series * (Daemon.TIMER_BUCKETS.length + 1));
            assertThat(buckets).anyMatch(line -> line.contains("le=\"0.005\"")).anyMatch(line -> line.contains("le=\"3600.0\""))
                    .anyMatch(line -> line.contains("le=\"+Inf\""));
        }
    }
}
