package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link JobConsumer#doneAll}: many completions in one round trip, each fenced by its own lease and answered for itself. */
class DoneAllTest {
    private static final Duration VT = Duration.ofSeconds(30);
    private static final Set<String> EMAIL = Set.of("email");

    @RegisterExtension
    final RecordedQueue recorded = new RecordedQueue();

    private List<Lease> claim(int n, String worker) {
        List<Lease> leases = recorded.queue.claimBatch(EMAIL, worker, n);
        assertThat(leases).hasSize(n);
        return leases;
    }

    @Test
    void heldLeasesAreAllCompletedInOneRoundTrip() {
        for (int i = 0; i < 5; i++) {
            recorded.queue.enqueue("email", "m" + i, VT);
        }
        List<Lease> leases = claim(5, "w");
        recorded.commands.clear();

        CompletionResult result = recorded.queue.doneAll(leases);

        assertThat(result.completed()).containsExactlyElementsOf(leases);
        assertThat(result.lost()).isEmpty();
        assertThat(recorded.commands).extracting(BsonDocument::getFirstKey).containsExactly("delete");
        assertThat(recorded.commands.get(0).getArray("deletes")).hasSize(5);
        assertThat(recorded.queue.stats().forType("email").unfinished()).isZero();
    }

    @Test
    void aLostLeaseIsReportedLostAndLeftToItsNewOwnerWhileTheOthersComplete() {
        recorded.queue.enqueue(JobRequest.builder("email").payload("short").visibilityTimeout(Duration.ofSeconds(5)).build());
        for (int i = 0; i < 3; i++) {
            recorded.queue.enqueue("email", "m" + i, VT);
        }
        List<Lease> leases = claim(4, "w1");
        Lease stale = leases.stream().filter(lease -> lease.payload().equals("short")).findFirst().orElseThrow();
        recorded.clock.advance(Duration.ofSeconds(6));
        Lease taken = recorded.queue.claim(EMAIL, "w2").orElseThrow();
        assertThat(taken.id()).isEqualTo(stale.id());

        CompletionResult result = recorded.queue.doneAll(leases);

        assertThat(result.lost()).containsExactly(stale);
        assertThat(result.completed()).hasSize(3).doesNotContain(stale);
        assertThat(recorded.queue.get(stale.id())).map(JobEntry::workerId).contains("w2");
        assertThat(recorded.queue.done(taken)).as("the new owner still completes it").isTrue();
    }

    /** Defect class: an entry still there before our deadline taken for one this call deleted. */
    @Test
    void aLeaseGivenUpBeforeItsDeadlineIsLostEvenThoughTheDeadlineHasNotPassed() {
        for (int i = 0; i < 3; i++) {
            recorded.queue.enqueue("email", "m" + i, VT);
        }
        List<Lease> leases = claim(3, "w1");
        assertThat(recorded.queue.giveBack(leases.get(1))).isTrue();
        Lease other = recorded.queue.claim(EMAIL, "w2").orElseThrow();
        assertThat(other.id()).isEqualTo(leases.get(1).id());

        CompletionResult result = recorded.queue.doneAll(leases);

        assertThat(result.lost()).containsExactly(leases.get(1));
        assertThat(result.completed()).containsExactly(leases.get(0), leases.get(2));
        assertThat(recorded.queue.get(other.id())).map(JobEntry::workerId).contains("w2");
    }

    @Test
    void anEntryGoneAfterTheDeadlineIsNotTakenForOurOwnCompletion() {
        recorded.queue.enqueue(JobRequest.builder("email").payload("short").visibilityTimeout(Duration.ofSeconds(5)).build());
        recorded.queue.enqueue("email", "long", VT);
        List<Lease> leases = claim(2, "w1");
        Lease stale = leases.stream().filter(lease -> lease.payload().equals("short")).findFirst().orElseThrow();
        recorded.clock.advance(Duration.ofSeconds(6));
        assertThat(recorded.queue.done(recorded.queue.claim(EMAIL, "w2").orElseThrow())).isTrue();

        CompletionResult result = recorded.queue.doneAll(leases);

        assertThat(result.lost()).as("another worker completed it after our deadline").containsExactly(stale);
        assertThat(result.completed()).hasSize(1).doesNotContain(stale);
    }

    @Test
    void nothingToCompleteSendsNothing() {
        recorded.commands.clear();

        CompletionResult result = recorded.queue.doneAll(List.of());

        assertThat(result.completed()).isEmpty();
        assertThat(result.lost()).isEmpty();
        assertThat(recorded.commands).isEmpty();
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingIsDeleted() {
        recorded.queue.enqueue("email", "a", VT);
        recorded.queue.enqueue("email", "b", VT);
        List<Lease> leases = claim(2, "w");

        assertThatThrownBy(() -> recorded.queue.doneAll(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leases was null");
        assertThatThrownBy(() -> recorded.queue.doneAll(Arrays.asList(leases.get(0), null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("an element of leases was null");
        assertThatThrownBy(() -> recorded.queue.doneAll(List.of(leases.get(0), leases.get(1), leases.get(0))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("leases held job " + leases.get(0).id() + " twice but may hold each job once");
        assertThat(recorded.queue.stats().forType("email").leased()).isEqualTo(2);
    }

    @Test
    void theDefaultOfOtherConsumersAnswersEachLeaseAsDoneDoes() {
        recorded.queue.enqueue("email", "a", VT);
        recorded.queue.enqueue("email", "b", VT);
        List<Lease> leases = claim(2, "w");
        List<Lease> asked = new ArrayList<>();
        JobConsumer oneByOne = (JobConsumer) Proxy.newProxyInstance(JobConsumer.class.getClassLoader(),
                new Class<?>[] {JobConsumer.class}, (proxy, method, args) -> {
                    if (method.getName().equals("done")) {
                        Lease lease = (Lease) args[0];
                        asked.add(lease);
                        return lease == leases.get(0) && recorded.queue.done(lease);
                    }
                    return InvocationHandler.invokeDefault(proxy, method, args);
                });

        CompletionResult result = oneByOne.doneAll(leases);

        assertThat(asked).containsExactlyElementsOf(leases);
        assertThat(result.completed()).containsExactly(leases.get(0));
        assertThat(result.lost()).containsExactly(leases.get(1));
        assertThatThrownBy(() -> oneByOne.doneAll(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("leases was null");
    }
}
