package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

class SupervisorMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Counter counter(String name, String... tags) {
        Counter counter = registry.find(name).tags(tags).counter();
        assertThat(counter).as(name + " " + List.of(tags) + " registered").isNotNull();
        return counter;
    }

    /** A counter that appears only with its first event makes rate() miss that event: all start at zero. */
    @Test
    void everyCounterIsThereAtZeroBeforeTheFirstEvent() {
        new SupervisorMetrics(registry, "docjobs.jobs", List.of("email", "report"));

        for (String type : List.of("email", "report")) {
            assertThat(counter(SupervisorMetrics.CLAIMED, "queue", "docjobs.jobs", "type", type).count()).isZero();
            assertThat(counter(SupervisorMetrics.LEASE_LOSSES, "type", type).count()).isZero();
            for (String outcome : SupervisorMetrics.OUTCOMES) {
                assertThat(counter(SupervisorMetrics.FINISHED, "type", type, "outcome", outcome).count()).isZero();
            }
        }
        for (String operation : SupervisorMetrics.DB_OPERATIONS) {
            assertThat(counter(SupervisorMetrics.DB_ERRORS, "operation", operation).count()).isZero();
        }
        for (String result : List.of("hit", "empty", "error")) {
            assertThat(counter(SupervisorMetrics.POLLS, "result", result).count()).isZero();
        }
        assertThat(counter(SupervisorMetrics.LEASE_EXTENSIONS).count()).isZero();
    }

    @Test
    void eventsCountOnTheirOwnSeries() {
        SupervisorMetrics metrics = new SupervisorMetrics(registry, "q", List.of("email"));

        metrics.finished("email", SupervisorMetrics.TIMEOUT);
        metrics.databaseError("done");
        metrics.leaseLost("email");
        metrics.claimed("email", null);
        metrics.polled(0);
        metrics.polled(3);
        metrics.pollFailed();
        metrics.extended(4);

        assertThat(counter(SupervisorMetrics.FINISHED, "outcome", "timeout").count()).isEqualTo(1);
        assertThat(counter(SupervisorMetrics.FINISHED, "outcome", "success").count()).isZero();
        assertThat(counter(SupervisorMetrics.DB_ERRORS, "operation", "done").count()).isEqualTo(1);
        assertThat(counter(SupervisorMetrics.DB_ERRORS, "operation", "claim").count()).isZero();
        assertThat(counter(SupervisorMetrics.LEASE_LOSSES).count()).isEqualTo(1);
        assertThat(counter(SupervisorMetrics.CLAIMED).count()).isEqualTo(1);
        assertThat(counter(SupervisorMetrics.POLLS, "result", "empty").count()).isEqualTo(1);
        assertThat(counter(SupervisorMetrics.POLLS, "result", "hit").count()).isEqualTo(1);
        assertThat(counter(SupervisorMetrics.POLLS, "result", "error").count()).isEqualTo(1);
        assertThat(counter(SupervisorMetrics.LEASE_EXTENSIONS).count()).isEqualTo(4);
    }
}
