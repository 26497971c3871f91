package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The small value types of the API: totals, stored names and exception context. */
class ApiValuesTest {

    @Test
    void queueTotalsAreTheSumsOfTheTypeRows() {
        QueueStats stats = new QueueStats(Instant.EPOCH, List.of(
                new QueueStats.TypeStats("email", 3, 2, 1, 4, 5, Duration.ofSeconds(7)),
                new QueueStats.TypeStats("sms", 10, 20, 30, 40, 50, Duration.ofSeconds(9))));

        assertThat(stats.ready()).isEqualTo(13);
        assertThat(stats.delayed()).isEqualTo(22);
        assertThat(stats.leased()).isEqualTo(31);
        assertThat(stats.expiredLeases()).isEqualTo(44);
        assertThat(stats.dead()).isEqualTo(55);
        assertThat(stats.oldestReadyAge()).isEqualTo(Duration.ofSeconds(9));
        assertThat(stats.forType("email").unfinished()).as("ready + delayed + leased + expired").isEqualTo(10);
    }

    @Test
    void anEmptyQueueHasNoReadyAge() {
        assertThat(new QueueStats(Instant.EPOCH, List.of()).oldestReadyAge()).isEqualTo(Duration.ZERO);
    }

    @Test
    void statesMapToTheirStoredNamesAndBack() {
        for (JobState state : JobState.values()) {
            assertThat(JobState.fromStored(state.stored())).isEqualTo(state);
        }
        assertThat(JobState.LEASED.stored()).isEqualTo("leased");
        assertThatThrownBy(() -> JobState.fromStored("done")).hasMessageContaining("done");
    }

    @Test
    void aDeadLetterPageCopiesItsEntriesAndSaysWhetherAnotherFollows() {
        JobEntry entry = new JobEntry("65f1c0ffee00000000000001", "email", null, JobState.DEAD, 0, 1, 1, null, null, null,
                null, null, Instant.EPOCH);
        List<JobEntry> entries = new java.util.ArrayList<>(List.of(entry));
        DeadLetterPage page = new DeadLetterPage(entries, "cursor");
        entries.clear();

        assertThat(page.entries()).containsExactly(entry);
        assertThat(page.hasNext()).isTrue();
        assertThat(new DeadLetterPage(List.of(), null).hasNext()).isFalse();
        assertThatThrownBy(() -> new DeadLetterPage(null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("entries was null but must be given");
        assertThatThrownBy(() -> new DeadLetterPage(java.util.Arrays.asList(entry, null), null))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("entries contained null but every entry must be given");
    }
}
