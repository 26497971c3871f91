package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link JobAdmin#jobs}: the console's listing by state, type and dedup key, newest first or in claim order. */
class JobListingTest {
    @RegisterExtension
    static final ManualQueues queues = new ManualQueues();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-01T12:00:00Z"));
    private JobQueue queue;

    @BeforeEach
    void openQueue() {
        queue = queues.open(clock);
    }

    private String enqueue(String type, int priority) {
        return queue.enqueue(JobRequest.builder(type).payload("x").priority(priority).build()).id();
    }

    private static List<String> ids(JobPage page) {
        return page.entries().stream().map(JobEntry::id).toList();
    }

    @Test
    void listsNewestFirstWithoutPayloadsAndFiltersByStateAndType() {
        String first = enqueue("email", 0);
        String second = enqueue("sms", 0);
        String third = enqueue("email", 0);
        Lease leased = queue.claim(Set.of("email"), "worker-1").orElseThrow();

        JobPage all = queue.jobs(JobQuery.newest());
        assertThat(ids(all)).containsExactly(third, second, first);
        assertThat(all.entries()).allSatisfy(entry -> assertThat(entry.payload()).isNull());
        assertThat(all.hasNext()).isFalse();

        assertThat(ids(queue.jobs(JobQuery.newest().withType("email")))).containsExactly(third, first);
        assertThat(ids(queue.jobs(JobQuery.newest().withState(JobState.LEASED)))).containsExactly(leased.id());
        JobEntry leasedEntry = queue.jobs(JobQuery.newest().withState(JobState.LEASED)).entries().get(0);
        assertThat(leasedEntry.workerId()).isEqualTo("worker-1");
        assertThat(leasedEntry.claimedAt()).isEqualTo(clock.instant());
        assertThat(leasedEntry.visibleAt()).as("the lease deadline").isEqualTo(leased.deadline());
        assertThat(queue.get(first).orElseThrow().claimedAt()).isEqualTo(leased.id().equals(first) ? clock.instant() : null);
        assertThat(ids(queue.jobs(JobQuery.newest().withState(JobState.READY).withType("email"))))
                .containsExactly(leased.id().equals(first) ? third : first);
        assertThat(queue.jobs(JobQuery.newest().withState(JobState.DEAD)).entries()).isEmpty();
    }

    @Test
    void findsTheUnfinishedEntryHoldingADedupKey() {
        enqueue("email", 0);
        String keyed = queue.enqueue(JobRequest.builder("email").payload("x").dedupKey("order-42").build()).id();

        assertThat(ids(queue.jobs(JobQuery.newest().withDedupKey("order-42")))).containsExactly(keyed);
        assertThat(ids(queue.jobs(JobQuery.claimOrder().withDedupKey("order-42")))).containsExactly(keyed);
        assertThat(queue.jobs(JobQuery.newest().withDedupKey("order-43")).entries()).isEmpty();
        assertThat(queue.jobs(JobQuery.newest().withDedupKey("order-42").withType("sms")).entries()).isEmpty();
    }

    @Test
    void listsReadyEntriesInClaimOrderWithTiesBrokenById() {
        String low = enqueue("email", 0);
        String high = enqueue("email", 5);
        clock.advance(Duration.ofSeconds(1));
        String highLater = enqueue("email", 5);
        String lowTie = enqueue("email", 0);
        String otherType = enqueue("sms", 9);
        String delayed = queue.enqueue(JobRequest.builder("email").payload("x").priority(9).delay(Duration.ofMinutes(5))
                .build()).id();

        assertThat(ids(queue.jobs(JobQuery.claimOrder().withType("email"))))
                .containsExactly(delayed, high, highLater, low, lowTie);
        assertThat(ids(queue.jobs(JobQuery.claimOrder()))).containsExactly(otherType, delayed, high, highLater, low, lowTie);
        assertThat(ids(queue.jobs(JobQuery.claimOrder().withType("email").withLimit(2)))).containsExactly(delayed, high);
    }

    @Test
    void newestPagesCoverEveryEntryOnceWhileEntriesAreAdded() {
        Set<String> before = new HashSet<>();
        for (int i = 0; i < 23; i++) {
            before.add(enqueue(i % 2 == 0 ? "email" : "sms", i % 3));
        }

        List<String> seen = new ArrayList<>();
        JobPage page = queue.jobs(JobQuery.newest().withLimit(5));
        while (true) {
            seen.addAll(ids(page));
            enqueue("email", 0);
            if (!page.hasNext()) {
                break;
            }
            page = queue.jobs(JobQuery.newest().withLimit(5).withAfter(page.next()));
        }

        assertThat(seen).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void claimOrderPagesCoverEveryEntryOnceWhileEntriesAreAddedBehindThem() {
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            // Several entries share a priority and a visible time: the id orders them.
            expected.add(enqueue("email", i % 3));
            if (i % 4 == 0) {
                clock.advance(Duration.ofMillis(1));
            }
        }

        List<JobEntry> seen = new ArrayList<>();
        JobPage page = queue.jobs(JobQuery.claimOrder().withType("email").withLimit(3));
        while (true) {
            seen.addAll(page.entries());
            // Added later at the lowest priority: after every entry listed so far.
            expected.add(enqueue("email", -1));
            if (!page.hasNext()) {
                break;
            }
            page = queue.jobs(JobQuery.claimOrder().withType("email").withLimit(3).withAfter(page.next()));
        }

        assertThat(seen).extracting(JobEntry::id).doesNotHaveDuplicates();
        // Every entry there from start to end of the paging is listed once; the last one added came after the last page.
        assertThat(seen).extracting(JobEntry::id).hasSize(expected.size() - 1).isSubsetOf(expected);
        for (int i = 1; i < seen.size(); i++) {
            JobEntry previous = seen.get(i - 1);
            JobEntry next = seen.get(i);
            assertThat(previous.priority() > next.priority() || previous.priority() == next.priority()
                    && !previous.visibleAt().isAfter(next.visibleAt())).as("claim order at %d", i).isTrue();
        }
    }

    @Test
    void refusesCursorsItDidNotMakeAndPageSizesOutOfRange() {
        for (int i = 0; i < 3; i++) {
            enqueue("email", 0);
        }
        String newestCursor = queue.jobs(JobQuery.newest().withLimit(1)).next();
        String claimCursor = queue.jobs(JobQuery.claimOrder().withLimit(1)).next();

        assertThatThrownBy(() -> queue.jobs(JobQuery.newest().withAfter("not-a-cursor")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("after was \"not-a-cursor\" but must be the next cursor of a job page (JobPage.next()),"
                        + " or null for the first page");
        assertThatThrownBy(() -> queue.jobs(JobQuery.newest().withAfter(claimCursor)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("after was a cursor of a CLAIM_ORDER listing but the query's order is NEWEST");
        assertThatThrownBy(() -> queue.jobs(JobQuery.claimOrder().withAfter(newestCursor)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("after was a cursor of a NEWEST listing");
        assertThatThrownBy(() -> JobQuery.newest().withLimit(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit was 0 but must be between 1 and 1000");
        assertThatThrownBy(() -> JobQuery.newest().withLimit(1001)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("limit was 1001 but must be between 1 and 1000");
        assertThatThrownBy(() -> JobQuery.claimOrder().withState(JobState.DEAD)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("claim order lists READY entries only");
        assertThatThrownBy(() -> JobQuery.newest().withType(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> queue.jobs(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("query was null but must be given");
    }
}
