package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class SupervisorConfigTest {
    private static final JobQueue QUEUE = (JobQueue) Proxy.newProxyInstance(JobQueue.class.getClassLoader(),
            new Class<?>[] {JobQueue.class}, (proxy, method, args) -> {
                if (method.getName().equals("name")) {
                    return "config-test";
                }
                throw new UnsupportedOperationException(method.getName());
            });

    @Test
    void aBuilderStartsFromTheNamedDefaults() {
        SupervisorConfig config = SupervisorConfig.builder().build();

        assertThat(config).isEqualTo(new SupervisorConfig(SupervisorConfig.DEFAULT_NAME, null,
                SupervisorConfig.DEFAULT_WORKERS, SupervisorConfig.DEFAULT_POLLERS, SupervisorConfig.DEFAULT_MAX_BATCH,
                SupervisorConfig.DEFAULT_PREFETCH, SupervisorConfig.DEFAULT_IDLE_MIN, SupervisorConfig.DEFAULT_IDLE_MAX,
                SupervisorConfig.DEFAULT_DRAIN_TIMEOUT, SupervisorConfig.DEFAULT_DEPTH_REFRESH,
                SupervisorConfig.DEFAULT_REGISTRY_INTERVAL));
        assertThat(config.registryInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.workers()).isEqualTo(8);
        assertThat(config.idleBackoffMin()).isEqualTo(Duration.ofMillis(50));
    }

    @Test
    void toBuilderRoundTripsEveryValue() {
        SupervisorConfig config = new SupervisorConfig("billing", "host-1", 3, 2, 7, 5, Duration.ofMillis(10),
                Duration.ofSeconds(1), Duration.ZERO, Duration.ofMinutes(1), Duration.ofMillis(250));

        assertThat(config.toBuilder().build()).isEqualTo(config);
    }

    @Test
    void everyProblemIsReportedAtOnceWithNameValueAndRule() {
        assertThatThrownBy(() -> new SupervisorConfig("no spaces", null, 0, 65, 1001, -1, Duration.ofSeconds(2),
                Duration.ofSeconds(1), Duration.ofSeconds(-1), SupervisorConfig.MAX_DEPTH_REFRESH.plusMillis(1),
                Duration.ofMillis(99)))
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).containsExactly(
                        "name was \"no spaces\" but must be 1-64 letters, digits, '.', '_' or '-'",
                        "workers was 0 but must be between 1 and 10000",
                        "pollers was 65 but must be between 1 and 64",
                        "maxBatch was 1001 but must be between 1 and 1000",
                        "prefetch was -1 but must be between 0 and 10000",
                        "idleBackoff max was PT1S but must be at least the min (PT2S)",
                        "drainTimeout was PT-1S but must be zero or positive",
                        "depthRefresh was PT1H0.001S but must be at most PT1H",
                        "registryInterval was PT0.099S but must be zero (off) or at least PT0.1S"));
    }

    @Test
    void theRegistryIntervalIsZeroForOffOrBoundedAboveAndMustBeGiven() {
        assertThat(SupervisorConfig.builder().registryInterval(Duration.ZERO).build().registryInterval()).isZero();
        assertThatThrownBy(() -> SupervisorConfig.builder().registryInterval(Duration.ofMinutes(11)).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).containsExactly(
                        "registryInterval was PT11M but must be at most PT10M"));
        assertThatThrownBy(() -> SupervisorConfig.builder().registryInterval(null).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).containsExactly(
                        "registryInterval was null but must be zero (off) or positive"));
    }

    @Test
    void theSupervisorBuilderTakesAWholeConfigAndReportsItsProblemsWithItsOwn() {
        SupervisorConfig config = SupervisorConfig.builder().name("billing").workerId("host-1").workers(3).build();

        Supervisor supervisor = Supervisor.builder(QUEUE).config(config).handle("email", job -> { }).build();

        assertThat(supervisor.config()).isEqualTo(config);
        assertThat(supervisor.name()).isEqualTo("billing");
        assertThat(supervisor.workerId()).isEqualTo("host-1");
        assertThatThrownBy(() -> Supervisor.builder(QUEUE).config(config).pollers(0).build())
                .isInstanceOf(ConfigurationException.class)
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).containsExactly(
                        "no handlers registered: call handle(type, handler) for each job type to run",
                        "pollers was 0 but must be between 1 and 64"));
    }

    @Test
    void aWorkerIdLeftUnsetIsHostPidAndName() {
        Supervisor supervisor = Supervisor.builder(QUEUE).name("billing").handle("email", job -> { }).build();

        assertThat(supervisor.config().workerId()).isNull();
        assertThat(supervisor.workerId()).endsWith("-" + ProcessHandle.current().pid() + "-billing");
    }

    @Test
    void aTypeMayUseEveryWorkerButNotMore() {
        Supervisor atTheLimit = Supervisor.builder(QUEUE).workers(1)
                .handle("a", job -> { }, HandlerOptions.builder().concurrency(1).build()).build();
        assertThat(atTheLimit.config().workers()).isEqualTo(1);

        assertThatThrownBy(() -> Supervisor.builder(QUEUE).workers(1)
                .handle("a", job -> { }, HandlerOptions.builder().concurrency(2).build()).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("concurrency of type \"a\" was 2 but cannot exceed workers (1)");
    }

    @Test
    void invalidWorkersAreReportedAloneNotAsEveryTypeExceedingThem() {
        assertThatThrownBy(() -> Supervisor.builder(QUEUE).workers(0)
                .handle("a", job -> { }, HandlerOptions.builder().concurrency(2).build()).build())
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("workers was 0")
                .satisfies(e -> assertThat(((ConfigurationException) e).problems()).hasSize(1));
    }
}
