package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.metrics.QueueMetrics;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every duration and instant a user can configure has an upper bound, checked when the settings
 * are built: a value at the bound is accepted, a larger one is refused naming the setting, the
 * value and the bound, and even {@link #LARGEST} fails validation instead of overflowing later
 * (in the lease keeper, at shutdown, in the clock, in the idle back-off, at enqueue).
 */
class ConfigBoundsTest {
    private static final Duration LARGEST = Duration.ofSeconds(Long.MAX_VALUE, 999_999_999);

    /** A queue for building supervisors; building one only asks for its name. */
    private static final JobQueue QUEUE = (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(),
            new Class<?>[] {JobQueue.class}, (proxy, method, args) -> {
                if (method.getName().equals("name")) {
                    return "bounds-test";
                }
                throw new UnsupportedOperationException(method.getName());
            });

    /** One bounded setting: its name in messages, its bound, the exception refusing it, and a build with a value. */
    record Setting(String name, Duration max, Class<? extends RuntimeException> error, Consumer<Duration> build) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Setting> settings() {
        Class<ConfigurationException> config = ConfigurationException.class;
        Duration second = Duration.ofSeconds(1);
        return Stream.of(
                new Setting("timeout", HandlerOptions.MAX_TIMEOUT, config,
                        d -> HandlerOptions.builder().timeout(d).build()),
                new Setting("leaseExtension", JobRequest.MAX_VISIBILITY_TIMEOUT, config,
                        d -> HandlerOptions.builder().leaseExtension(d).build()),
                new Setting("backoff initial", Backoff.MAX_DELAY, config,
                        d -> Backoff.exponential().initial(d).max(Backoff.MAX_DELAY).build()),
                new Setting("backoff max", Backoff.MAX_DELAY, config,
                        d -> Backoff.exponential().initial(second).max(d).build()),
                new Setting("idleBackoff min", SupervisorConfig.MAX_IDLE_BACKOFF, config,
                        d -> supervisor().idleBackoff(d, SupervisorConfig.MAX_IDLE_BACKOFF).build()),
                new Setting("idleBackoff max", SupervisorConfig.MAX_IDLE_BACKOFF, config,
                        d -> supervisor().idleBackoff(second, d).build()),
                new Setting("drainTimeout", SupervisorConfig.MAX_DRAIN_TIMEOUT, config,
                        d -> supervisor().drainTimeout(d).build()),
                new Setting("depthRefresh", SupervisorConfig.MAX_DEPTH_REFRESH, config,
                        d -> supervisor().depthRefresh(d).build()),
                new Setting("operationTimeout", QueueConfig.MAX_OPERATION_TIMEOUT, config,
                        d -> QueueConfig.builder().operationTimeout(d).build()),
                new Setting("defaultVisibilityTimeout", JobRequest.MAX_VISIBILITY_TIMEOUT, config,
                        d -> QueueConfig.builder().defaultVisibilityTimeout(d).build()),
                new Setting("retryInitialBackoff", QueueConfig.MAX_RETRY_BACKOFF, config,
                        d -> QueueConfig.builder().retryInitialBackoff(d).retryMaxBackoff(QueueConfig.MAX_RETRY_BACKOFF).build()),
                new Setting("retryMaxBackoff", QueueConfig.MAX_RETRY_BACKOFF, config,
                        d -> QueueConfig.builder().retryMaxBackoff(d).build()),
                new Setting("serverClockSync", QueueConfig.MAX_SERVER_CLOCK_SYNC, config,
                        d -> QueueConfig.builder().serverClockSync(d).build()),
                new Setting("visibilityTimeout", JobRequest.MAX_VISIBILITY_TIMEOUT, IllegalArgumentException.class,
                        d -> request().visibilityTimeout(d).build()),
                new Setting("delay", JobRequest.MAX_DELAY, IllegalArgumentException.class,
                        d -> request().delay(d).build()));
    }

    private static Supervisor.Builder supervisor() {
        return Supervisor.builder(QUEUE).handle("email", job -> { });
    }

    private static JobRequest.Builder request() {
        return JobRequest.builder("email").payload("hi");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void aValueAtTheBoundIsAccepted(Setting setting) {
        assertThatCode(() -> setting.build().accept(setting.max())).doesNotThrowAnyException();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void aValueJustAboveTheBoundIsRefusedNamingSettingValueAndBound(Setting setting) {
        Duration above = setting.max().plusNanos(1);

        assertThatThrownBy(() -> setting.build().accept(above))
                .isInstanceOf(setting.error())
                .hasMessageContaining(setting.name() + " was " + above + " but must be at most " + setting.max());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("settings")
    void theLargestDurationIsRefusedWithoutOverflowing(Setting setting) {
        assertThatThrownBy(() -> setting.build().accept(LARGEST))
                .isInstanceOf(setting.error())
                .hasMessageContaining(setting.name() + " was " + LARGEST + " but must be at most " + setting.max());
    }

    @Test
    void boundsOfWholeDaysAreAlsoShownInDays() {
        assertThatThrownBy(() -> HandlerOptions.builder().timeout(Duration.ofDays(200_000)).build())
                .hasMessage("timeout was PT4800000H but must be at most PT168H (7 days); a job that needs longer"
                        + " should save its progress and enqueue a follow-up job");
    }

    @Test
    void notBeforeIsAcceptedFrom1970ThroughTheEndOf9999() {
        assertThatCode(() -> request().notBefore(JobRequest.EARLIEST_NOT_BEFORE).build()).doesNotThrowAnyException();
        assertThatCode(() -> request().notBefore(JobRequest.LATEST_NOT_BEFORE).build()).doesNotThrowAnyException();
        assertThat(JobRequest.LATEST_NOT_BEFORE).isEqualTo(Instant.parse("9999-12-31T23:59:59.999Z"));

        for (Instant outside : new Instant[] {JobRequest.LATEST_NOT_BEFORE.plusMillis(1), Instant.MAX,
                JobRequest.EARLIEST_NOT_BEFORE.minusMillis(1), Instant.MIN}) {
            assertThatThrownBy(() -> request().notBefore(outside).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("notBefore was " + outside + " but must be between 1970-01-01T00:00:00Z"
                            + " and 9999-12-31T23:59:59.999Z");
        }
    }

    @Test
    void handlerOptionsReportEveryProblemAtOnce() {
        assertThatThrownBy(() -> HandlerOptions.builder().concurrency(-1).timeout(LARGEST).leaseExtension(LARGEST)
                .backoff(Backoff.exponential().initial(LARGEST).multiplier(0.5).jitter(1.5).max(Duration.ofSeconds(-1))).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).hasSize(7))
                .hasMessageContaining("concurrency was -1")
                .hasMessageContaining("timeout was " + LARGEST + " but must be at most")
                .hasMessageContaining("leaseExtension was " + LARGEST + " but must be at most")
                .hasMessageContaining("backoff initial was " + LARGEST + " but must be at most")
                .hasMessageContaining("backoff max was PT-1S but must be positive")
                .hasMessageContaining("backoff multiplier was 0.5 but must be at least 1")
                .hasMessageContaining("backoff jitter was 1.5 but must be between 0 and 1");
    }

    @Test
    void backoffMaxBelowInitialIsRefused() {
        assertThatThrownBy(() -> Backoff.exponential().initial(Duration.ofMinutes(1)).max(Duration.ofSeconds(1)).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessage("backoff max was PT1S but must be at least backoff initial (PT1M)");
    }

    @Test
    void supervisorReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> supervisor().workers(0).idleBackoff(LARGEST, LARGEST).drainTimeout(LARGEST)
                .depthRefresh(LARGEST).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).hasSize(5))
                .hasMessageContaining("workers was 0")
                .hasMessageContaining("idleBackoff min was " + LARGEST + " but must be at most PT10M")
                .hasMessageContaining("idleBackoff max was " + LARGEST + " but must be at most PT10M")
                .hasMessageContaining("drainTimeout was " + LARGEST + " but must be at most PT1H")
                .hasMessageContaining("depthRefresh was " + LARGEST + " but must be at most PT1H");
    }

    @Test
    void queueConfigReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> QueueConfig.builder().operationTimeout(LARGEST).defaultVisibilityTimeout(LARGEST)
                .retryInitialBackoff(LARGEST).retryMaxBackoff(LARGEST).serverClockSync(LARGEST).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).hasSize(5))
                .hasMessageContaining("operationTimeout was " + LARGEST + " but must be at most PT10M")
                .hasMessageContaining("defaultVisibilityTimeout was " + LARGEST + " but must be at most PT12H")
                .hasMessageContaining("retryInitialBackoff was " + LARGEST + " but must be at most PT10M")
                .hasMessageContaining("retryMaxBackoff was " + LARGEST + " but must be at most PT10M")
                .hasMessageContaining("serverClockSync was " + LARGEST + " but must be at most PT24H (1 day)");
    }

    @Test
    void jobRequestReportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> request().delay(LARGEST).notBefore(Instant.MAX).visibilityTimeout(LARGEST).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("visibilityTimeout was " + LARGEST + " but must be at most PT12H")
                .hasMessageContaining("delay was " + LARGEST + " but must be at most PT876600H (36525 days);"
                        + " that is about 100 years")
                .hasMessageContaining("notBefore was " + Instant.MAX + " but must be between");
    }

    @Test
    void zeroStillMeansOffWhereItDid() {
        assertThatCode(() -> QueueConfig.builder().serverClockSync(Duration.ZERO).build()).doesNotThrowAnyException();
        assertThatCode(() -> supervisor().drainTimeout(Duration.ZERO).depthRefresh(Duration.ZERO).build())
                .doesNotThrowAnyException();
        assertThatCode(() -> request().delay(Duration.ZERO).build()).doesNotThrowAnyException();
    }

    /** The driver reads a zero millisecond time-out as "none": a sub-millisecond one would wait forever. */
    @Test
    void operationTimeoutAndRetryBackoffsCountInWholeMilliseconds() {
        assertThatThrownBy(() -> QueueConfig.builder().operationTimeout(Duration.ofNanos(999_999))
                .retryInitialBackoff(Duration.ofNanos(1)).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("operationTimeout was PT0.000999999S but must be at least 1 millisecond")
                .hasMessageContaining("retryInitialBackoff was PT0.000000001S but must be at least 1 millisecond");
    }

    @Test
    void queueMetricsRefreshIsBoundedToo() {
        assertThatThrownBy(() -> new QueueMetrics(QUEUE, LARGEST))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("refresh was " + LARGEST + " but must be positive and at most PT1H");
    }
}
