package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.docjobs.CompletionResult;
import io.docjobs.JobConsumer;
import io.docjobs.Lease;
import io.docjobs.testing.TestLeases;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The supervisor's group commit of completions: completions that arrive while one is being sent
 * share the next round trip, each lease gets its own answer, a lone completion waits for nothing,
 * and no worker waits for another's round trip. Staged with a queue whose {@code doneAll} blocks
 * until the test lets it go.
 */
class AcksTest {
    private final List<List<Lease>> sent = new CopyOnWriteArrayList<>();
    private final CountDownLatch firstSendMayFinish = new CountDownLatch(1);
    private final List<Thread> threads = new ArrayList<>();
    private volatile Set<Lease> lost = Set.of();
    private volatile RuntimeException failFirst;

    private final JobConsumer queue = (JobConsumer) Proxy.newProxyInstance(JobConsumer.class.getClassLoader(),
            new Class<?>[] {JobConsumer.class}, (proxy, method, args) -> {
                if (!method.getName().equals("doneAll")) {
                    throw new UnsupportedOperationException(method.getName());
                }
                @SuppressWarnings("unchecked")
                List<Lease> leases = List.copyOf((Collection<Lease>) args[0]);
                sent.add(leases);
                if (sent.size() == 1) {
                    assertThat(firstSendMayFinish.await(10, TimeUnit.SECONDS)).isTrue();
                    if (failFirst != null) {
                        throw failFirst;
                    }
                }
                return new CompletionResult(leases.stream().filter(lease -> !lost.contains(lease)).toList(),
                        leases.stream().filter(lost::contains).toList());
            });

    @AfterEach
    void noThreadLeft() throws InterruptedException {
        firstSendMayFinish.countDown();
        for (Thread thread : threads) {
            thread.join(10_000);
            assertThat(thread.isAlive()).as("%s finished", thread.getName()).isFalse();
        }
    }

    private static Lease lease(String id) {
        return TestLeases.builder().id(id).token("t-" + id).build();
    }

    /** The answer to one completion: whether its lease held, or the failure of its batch. */
    private static Acks.Answer into(CompletableFuture<Boolean> future) {
        return (held, failure) -> {
            if (failure != null) {
                future.completeExceptionally(failure);
            } else {
                future.complete(held);
            }
        };
    }

    /**
     * What a worker does with a completion: hands it in, and sends the group commit if that made it
     * the sender; {@code lastForNow}: no other completion is coming soon (no handler runs or waits).
     */
    private static void done(Acks acks, Lease lease, Acks.Answer answer, boolean lastForNow) {
        if (acks.offer(lease, answer, lastForNow)) {
            acks.sendAll();
        }
    }

    private static void done(Acks acks, Lease lease, Acks.Answer answer) {
        done(acks, lease, answer, false);
    }

    /**
     * {@link #done} on a thread of its own; the future holds the answer or the failure,
     * {@code returned} completes when the call returned.
     */
    private CompletableFuture<Boolean> complete(Acks acks, Lease lease, CompletableFuture<Void> returned,
            boolean lastForNow) {
        CompletableFuture<Boolean> answer = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            done(acks, lease, into(answer), lastForNow);
            returned.complete(null);
        }, "worker-" + lease.id());
        threads.add(thread);
        thread.start();
        return answer;
    }

    private CompletableFuture<Boolean> complete(Acks acks, Lease lease, CompletableFuture<Void> returned) {
        return complete(acks, lease, returned, false);
    }

    private CompletableFuture<Boolean> complete(Acks acks, Lease lease) {
        return complete(acks, lease, new CompletableFuture<>());
    }

    private static <T> T get(CompletableFuture<T> future) {
        return future.orTimeout(10, TimeUnit.SECONDS).join();
    }

    @Test
    void aLoneCompletionIsSentAtOnceOnItsOwn() {
        firstSendMayFinish.countDown();
        Acks acks = new Acks(queue, 8);
        Lease a = lease("a");
        CompletableFuture<Boolean> answer = new CompletableFuture<>();

        done(acks, a, into(answer));

        assertThat(answer).as("answered before done returned").isCompletedWithValue(true);
        assertThat(sent).containsExactly(List.of(a));
    }

    @Test
    void completionsArrivingDuringARoundTripShareTheNextAndEachHearsItsOwnAnswer() {
        Acks acks = new Acks(queue, 8);
        Lease a = lease("a");
        Lease b = lease("b");
        Lease c = lease("c");
        Lease d = lease("d");
        lost = Set.of(c);
        CompletableFuture<Boolean> first = complete(acks, a);
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
        List<CompletableFuture<Boolean>> later = List.of(complete(acks, b), complete(acks, c), complete(acks, d));
        await().atMost(Duration.ofSeconds(10)).until(() -> acks.waiting() == 3);

        firstSendMayFinish.countDown();

        assertThat(get(first)).isTrue();
        assertThat(later).extracting(AcksTest::get).containsExactly(true, false, true);
        assertThat(sent).hasSize(2);
        assertThat(sent.get(0)).containsExactly(a);
        assertThat(sent.get(1)).containsExactlyInAnyOrder(b, c, d);
    }

    @Test
    void aBatchNeverHoldsMoreThanTheMaximum() {
        Acks acks = new Acks(queue, 2);
        CompletableFuture<Boolean> first = complete(acks, lease("a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
        List<CompletableFuture<Boolean>> later = List.of(complete(acks, lease("b")), complete(acks, lease("c")),
                complete(acks, lease("d")));
        await().atMost(Duration.ofSeconds(10)).until(() -> acks.waiting() == 3);

        firstSendMayFinish.countDown();

        assertThat(get(first)).isTrue();
        assertThat(later).extracting(AcksTest::get).containsOnly(true);
        assertThat(sent).extracting(List::size).containsExactly(1, 2, 1);
    }

    @Test
    void aFailedRoundTripFailsEveryCompletionInItAndTheNextOnesAreSentAfresh() {
        failFirst = new IllegalStateException("database unavailable");
        Acks acks = new Acks(queue, 8);
        CompletableFuture<Boolean> first = complete(acks, lease("a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
        CompletableFuture<Boolean> second = complete(acks, lease("b"));
        await().atMost(Duration.ofSeconds(10)).until(() -> acks.waiting() == 1);

        firstSendMayFinish.countDown();

        assertThatThrownBy(() -> get(first)).hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("database unavailable");
        assertThat(get(second)).as("not part of the failed round trip").isTrue();
        CompletableFuture<Boolean> next = new CompletableFuture<>();
        done(acks, lease("e"), into(next));
        assertThat(next).isCompletedWithValue(true);
    }

    @Test
    void aCompletionHandedInWhileAnotherIsSentReturnsAtOnceAndIsAnsweredByTheSender() {
        Acks acks = new Acks(queue, 8);
        CompletableFuture<Void> firstReturned = new CompletableFuture<>();
        CompletableFuture<Boolean> first = complete(acks, lease("a"), firstReturned);
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
        CompletableFuture<Void> secondReturned = new CompletableFuture<>();

        CompletableFuture<Boolean> second = complete(acks, lease("b"), secondReturned);

        secondReturned.orTimeout(10, TimeUnit.SECONDS).join(); // while the first round trip still hangs
        assertThat(second).as("not answered yet").isNotDone();
        assertThat(firstReturned).isNotDone();
        firstSendMayFinish.countDown();
        assertThat(get(first)).isTrue();
        assertThat(get(second)).isTrue();
        firstReturned.orTimeout(10, TimeUnit.SECONDS).join();
        assertThat(sent).extracting(List::size).containsExactly(1, 1);
    }

    @Test
    void anAnswerThatThrowsKeepsLaterCompletionsFromTheirs() {
        firstSendMayFinish.countDown();
        Acks acks = new Acks(queue, 8);
        CompletableFuture<Boolean> other = new CompletableFuture<>();

        done(acks, lease("a"), (held, failure) -> {
            throw new IllegalStateException("a broken answer");
        });
        done(acks, lease("b"), into(other));

        assertThat(other).isCompletedWithValue(true);
        assertThat(sent).extracting(List::size).containsExactly(1, 1);
    }

    /** Load: "a" alone, then "b" and "c", which came during its round trip, together. */
    private void sendOneThenABatchOfTwo(Acks acks) {
        CompletableFuture<Boolean> a = complete(acks, lease("a"));
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 1);
        CompletableFuture<Boolean> b = complete(acks, lease("b"));
        CompletableFuture<Boolean> c = complete(acks, lease("c"));
        await().atMost(Duration.ofSeconds(10)).until(() -> acks.waiting() == 2);
        firstSendMayFinish.countDown();
        assertThat(List.of(a, b, c)).extracting(AcksTest::get).containsOnly(true);
    }

    @Test
    void underLoadTheSenderLingersForHalfABatchBeforeItsNextRoundTrip() {
        // Long enough to see the sender wait; short enough that it leaves soon after the test (it lingers once more).
        Acks acks = new Acks(queue, 4, TimeUnit.SECONDS.toNanos(2));
        sendOneThenABatchOfTwo(acks);

        // The last batch held two: the sender waits for two more (half of 4), not for the linger to run out.
        CompletableFuture<Boolean> d = complete(acks, lease("d"));
        await().atMost(Duration.ofSeconds(10)).until(() -> acks.waiting() == 1);
        assertThat(d).as("lingering for a second completion").isNotDone();
        CompletableFuture<Boolean> e = complete(acks, lease("e"));

        assertThat(List.of(d, e)).extracting(AcksTest::get).containsOnly(true);
        assertThat(sent).extracting(List::size).containsExactly(1, 2, 2);
    }

    @Test
    void aLingeringSenderSendsWhatCameWhenTheLingerRunsOut() {
        Acks acks = new Acks(queue, 8, TimeUnit.MILLISECONDS.toNanos(20));
        sendOneThenABatchOfTwo(acks);

        CompletableFuture<Boolean> d = complete(acks, lease("d"));

        assertThat(get(d)).as("sent alone once the linger ran out").isTrue();
        assertThat(sent).extracting(List::size).containsExactly(1, 2, 1);
    }

    @Test
    void aLingeringSenderSendsAtOnceWhenACompletionSaysNoOtherIsComingSoon() {
        // A linger far longer than the answers are waited for: only the word that the burst is over sends them.
        Acks acks = new Acks(queue, 8, TimeUnit.SECONDS.toNanos(60));
        sendOneThenABatchOfTwo(acks);
        CompletableFuture<Boolean> d = complete(acks, lease("d"));
        await().atMost(Duration.ofSeconds(10)).until(() -> acks.waiting() == 1);
        assertThat(d).as("lingering for more").isNotDone();

        CompletableFuture<Boolean> e = complete(acks, lease("e"), new CompletableFuture<>(), true);

        assertThat(List.of(d, e)).extracting(AcksTest::get).containsOnly(true);
        assertThat(sent).extracting(List::size).containsExactly(1, 2, 2);
    }

    @Test
    void aBatchOfNothingIsRefusedAsAConfigurationError() {
        assertThatThrownBy(() -> new Acks(queue, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxBatch was 0 but must be at least 1");
    }
}
