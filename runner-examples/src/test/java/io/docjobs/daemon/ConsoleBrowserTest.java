package io.docjobs.daemon;

import static io.docjobs.daemon.ConsoleDaemon.FLAKY;
import static io.docjobs.daemon.ConsoleDaemon.QUICK;
import static io.docjobs.daemon.ConsoleDaemon.TOKEN;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: headless Chromium driven by Selenium over the distribution's
 * {@code chromium} and {@code chromium-driver} packages ({@code .ci/run} installs them). Each page
 * loads on a daemon with a populated queue, the overview's charts take new samples without a
 * reload, and a dead letter requeued through the page runs to completion, with no script error or
 * Content-Security-Policy violation in the browser's console. Screenshots of each page
 * go to {@code target/console-screenshots/}.
 *
 * <p>Without Chromium the class fails under CI ({@code CI=true}) and is skipped elsewhere, each
 * with a message saying what to install.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
    private static final List<Path> BROWSERS = List.of(Path.of("/usr/bin/chromium"), Path.of("/usr/bin/chromium-browser"),
            Path.of("/usr/bin/google-chrome"));
    private static final List<Path> DRIVERS = List.of(Path.of("/usr/bin/chromedriver"),
            Path.of("/usr/lib/chromium/chromedriver"));

    private ConsoleDaemon console;
    private WebDriver browser;
    private WebDriverWait wait;

    @BeforeAll
    void start() throws IOException {
        Path chromium = BROWSERS.stream().filter(Files::isExecutable).findFirst().orElse(null);
        Path driver = DRIVERS.stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (chromium == null || driver == null) {
            String missing = "the console's browser tests need Chromium and its driver: apt-get install chromium"
                    + " chromium-driver (.ci/run installs them); missing " + (chromium == null ? BROWSERS : DRIVERS);
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(missing);
            }
            Assumptions.abort(missing + " (skipped outside CI)");
        }
        Files.createDirectories(SCREENSHOTS);
        console = new ConsoleDaemon(TOKEN).populate(3);
        ChromeOptions options = new ChromeOptions().setBinary(chromium.toFile());
        options.addArguments("--headless=new", "--window-size=1280,960", "--disable-dev-shm-usage", "--disable-gpu",
                "--no-first-run", "--disable-extensions");
        if ("root".equals(System.getProperty("user.name"))) {
            options.addArguments("--no-sandbox"); // Chromium refuses to run as root inside its sandbox
        }
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(20));
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (console != null) {
            console.close();
        }
    }

    private void open(String path) {
        browser.get(console.base() + path);
        wait.until(ExpectedConditions.presenceOfElementLocated(By.tagName("h1")));
    }

    /**
     * No script error and no Content-Security-Policy violation in the browser's console; the
     * refused requests a test provokes on purpose (401, 503), and the 404 with which a job page
     * learns that a cancelled job ended, are expected there.
     */
    private void assertNoScriptErrors() {
        List<String> errors = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .filter(message -> !message.contains("status of 401") && !message.contains("status of 503"))
                .filter(message -> !(message.contains("/api/jobs/") && message.contains("status of 404")))
                .toList();
        assertThat(errors).as("errors in the browser's console").isEmpty();
    }

    private List<String> rowIds(String table) {
        return browser.findElements(By.cssSelector(table + " tbody tr")).stream()
                .map(row -> row.getDomAttribute("data-id")).toList();
    }

    private void screenshot(String name) throws IOException {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
    }

    @Test
    @Order(1)
    void overviewChartsFollowTheDaemonWithoutAReload() throws IOException {
        List<JobRequest> work = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            work.add(JobRequest.builder(QUICK).payload(new Document("n", i)).build());
        }
        console.queue().enqueueAll(work);
        open("/");
        assertThat(browser.findElement(By.id("types")).getText()).contains(FLAKY).contains(ConsoleDaemon.PARKED);
        WebElement samples = browser.findElement(By.id("sample-count"));
        wait.until(driver -> Integer.parseInt(samples.getText()) >= 2);
        String before = samples.getDomAttribute("data-last");
        wait.until(driver -> !String.valueOf(samples.getDomAttribute("data-last")).equals(before));
        assertThat(browser.findElements(By.cssSelector("#chart-throughput canvas"))).hasSize(1);
        assertThat(browser.findElements(By.cssSelector("#chart-wait canvas"))).hasSize(1);
        await().atMost(Duration.ofSeconds(30)).until(() -> console.queue().stats().forType(QUICK).unfinished() == 0);
        wait.until(driver -> Integer.parseInt(samples.getText()) >= 4);
        screenshot("overview");
        assertNoScriptErrors();
    }

    @Test
    @Order(2)
    void jobsAndJobDetailAndSchedulesLoad() throws IOException {
        open("/jobs");
        assertThat(browser.findElement(By.id("jobs")).getText()).contains(ConsoleDaemon.PARKED).contains(FLAKY);
        screenshot("jobs");
        open("/jobs?order=claim&type=" + ConsoleDaemon.PARKED + "&limit=2");
        List<String> first = rowIds("#jobs");
        assertThat(first).containsExactly(console.parkedIds.get(4), console.parkedIds.get(3));
        browser.findElement(By.id("next")).click();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("first")));
        assertThat(rowIds("#jobs")).containsExactly(console.parkedIds.get(2), console.parkedIds.get(1));
        assertThat(new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("filter-order")))
                .getFirstSelectedOption().getText()).startsWith("next to be claimed");
        browser.findElement(By.id("job-id")).sendKeys(console.bigPayloadId);
        browser.findElement(By.id("job-id")).submit();
        wait.until(ExpectedConditions.presenceOfElementLocated(By.id("payload")));
        assertThat(browser.findElement(By.id("payload-truncated")).getText()).contains("64 KiB");
        open("/jobs/" + console.deadIds.get(0));
        assertThat(browser.findElement(By.id("job-state")).getText()).isEqualTo("DEAD");
        assertThat(browser.findElement(By.id("payload")).getText()).contains("\"note\": \"dead #0\"");
        assertThat(browser.findElement(By.id("errors")).getText()).contains("gateway said no");
        assertThat(browser.findElement(By.id("no-audit")).getText()).contains("No operator");
        screenshot("job");
        open("/schedules");
        assertThat(browser.findElement(By.id("schedules")).getText()).contains("hourly-report");
        screenshot("schedules");
        assertNoScriptErrors();
    }

    @Test
    @Order(3)
    void aDeadLetterRequeuedThroughThePageRunsToCompletion() throws IOException {
        open("/dead-letters?type=" + FLAKY);
        screenshot("dead-letters");
        String id = console.deadIds.get(2);
        WebElement row = browser.findElement(By.cssSelector("tr[data-id='" + id + "']"));
        console.failing.set(false);

        row.findElement(By.cssSelector("button[data-action=requeue]")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "Authorization header is missing"));

        browser.findElement(By.id("token")).sendKeys(TOKEN);
        browser.findElement(By.id("token-save")).click();
        row.findElement(By.cssSelector("button[data-action=requeue]")).click();
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("message"), "requeued " + id));
        await().atMost(Duration.ofSeconds(20)).until(() -> console.queue().get(id).isEmpty());
        assertThat(browser.findElements(By.cssSelector("tr[data-id='" + id + "']"))).isEmpty();
        assertThat(browser.getPageSource()).doesNotContain(TOKEN);
        assertNoScriptErrors();
    }

    @Test
    @Order(4)
    void aRunningJobCancelledThroughItsPageEndsAsCancelled() throws IOException {
        String id = console.running();
        double cancelled = console.finished("cancelled");
        open("/jobs/" + id);
        assertThat(browser.findElement(By.id("job-state")).getText()).isEqualTo("LEASED");
        browser.findElement(By.id("operator")).sendKeys("Ada Operator");
        browser.findElement(By.id("token")).sendKeys(TOKEN);
        browser.findElement(By.id("token-save")).click();
        screenshot("job-running");

        browser.findElement(By.cssSelector("button[data-action=cancel]")).click();
        wait.until(ExpectedConditions.alertIsPresent()).accept();
        // The page shows the request, then follows the job until its worker ends it.
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("job-state"), "ENDED"));
        assertThat(browser.findElement(By.id("cancel-requested")).getText()).contains("by Ada Operator")
                .contains("next heartbeat");
        assertThat(browser.findElement(By.id("message")).getText()).contains("cancelled, not retried");
        screenshot("job-cancelled");
        assertThat(console.queue().get(id)).isEmpty();
        await().atMost(Duration.ofSeconds(5)).until(() -> console.finished("cancelled") == cancelled + 1);
        assertThat(console.blockingCancelled.get()).isPositive();
        assertThat(console.queue().auditLog(id, 10)).anySatisfy(record -> {
            assertThat(record.by()).isEqualTo("Ada Operator");
            assertThat(record.operation()).isEqualTo("cancel");
        });
        assertNoScriptErrors();
    }

    @Test
    @Order(5)
    void theDaemonsPageShowsThisDaemonAlive() throws IOException {
        open("/daemons");
        WebElement row = browser.findElement(By.cssSelector("#daemons tr[data-status]"));
        assertThat(row.getText()).contains("ALIVE").contains("demo").contains(FLAKY);
        assertThat(browser.findElements(By.cssSelector("#daemons tr[data-status=GONE]"))).isEmpty();
        screenshot("daemons");
        assertNoScriptErrors();
    }
}
