package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.client.MongoClient;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link JobQueue} must have, run against the embedded server and, when
 * {@code DOCJOBS_TEST_MONGODB_URI} is set, against a real MongoDB.
 */
abstract class JobQueueContract {
    static final Duration VT = Duration.ofSeconds(30);
    static final Set<String> EMAIL = Set.of("email");

    protected ManualClock clock;
    protected JobQueue queue;
    private String collection;

    /** The client of the server under test; owned by the subclass. */
    protected abstract MongoClient client();

    @BeforeEach
    void openQueue() {
        clock = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
        collection = "jobs_" + UUID.randomUUID().toString().replace("-", "");
        queue = JobQueue.using(client(), config().build());
    }

    protected QueueConfig.Builder config() {
        return QueueConfig.builder().database("docjobs_test").collection(collection).clock(clock)
                .serverClockSync(Duration.ZERO);
    }

    @AfterEach
    void dropCollection() {
        client().getDatabase("docjobs_test").getCollection(collection).drop();
        queue.close();
    }

    protected Lease claimOne(String worker) {
        return queue.claim(EMAIL, worker).orElseThrow(() -> new AssertionError("expected a claimable entry"));
    }

    @Test
    void enqueuedJobIsClaimedAndDoneRemovesIt() {
        String id = queue.enqueue("email", "hello", VT);

        Lease lease = claimOne("w1");

        assertThat(lease.id()).isEqualTo(id);
        assertThat(lease.type()).isEqualTo("email");
        assertThat(lease.payload()).isEqualTo("hello");
        assertThat(lease.attempt()).isEqualTo(1);
        assertThat(lease.workerId()).isEqualTo("w1");
        assertThat(lease.deadline()).isEqualTo(clock.instant().plus(VT));
        assertThat(lease.enqueuedAt()).isEqualTo(clock.instant());
        assertThat(queue.claim(EMAIL, "w2")).as("hidden while leased").isEmpty();

        assertThat(queue.done(lease)).isTrue();
        assertThat(queue.get(id)).isEmpty();
        clock.advance(VT.multipliedBy(2));
        assertThat(queue.claim(EMAIL, "w2")).as("done entries are never redelivered").isEmpty();
    }

    @Test
    void redeliversAfterLeaseExpiresWithNextAttempt() {
        queue.enqueue("email", "hello", VT);
        Lease first = claimOne("w1");

        clock.advance(VT.minusMillis(1));
        assertThat(queue.claim(EMAIL, "w2")).as("lease still valid").isEmpty();
        clock.advance(Duration.ofMillis(1));
        Lease second = claimOne("w2");

        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.attempt()).isEqualTo(2);
        assertThat(second.token()).isNotEqualTo(first.token());
        assertThat(second.visibleSince()).isEqualTo(first.deadline());
    }

    @Test
    void claimsOnlyTheRequestedTypes() {
        queue.enqueue("sms", "x", VT);

        assertThat(queue.claim(EMAIL, "w1")).isEmpty();
        assertThat(queue.claim(Set.of("email", "sms"), "w1")).map(Lease::type).contains("sms");
    }

    @Test
    void claimsHighestPriorityFirstThenOldest() {
        String low = queue.enqueue(JobRequest.builder("email").payload("low").priority(-1).build()).id();
        clock.advance(Duration.ofSeconds(1));
        String normalOld = queue.enqueue(JobRequest.builder("email").payload("normal-old").build()).id();
        clock.advance(Duration.ofSeconds(1));
        String normalNew = queue.enqueue(JobRequest.builder("email").payload("normal-new").build()).id();
        String high = queue.enqueue(JobRequest.builder("email").payload("high").priority(10).build()).id();

        assertThat(List.of(claimOne("w").id(), claimOne("w").id(), claimOne("w").id(), claimOne("w").id()))
                .containsExactly(high, normalOld, normalNew, low);
    }

    @Test
    void delayedEntryIsInvisibleUntilItsTime() {
        queue.enqueue(JobRequest.builder("email").payload("later").delay(Duration.ofMinutes(5)).build());
        String now = queue.enqueue("email", "now", VT);
        Instant notBefore = clock.instant().plus(Duration.ofMinutes(10));
        queue.enqueue(JobRequest.builder("email").payload("latest").notBefore(notBefore).build());

        Lease immediate = claimOne("w");
        assertThat(immediate.id()).isEqualTo(now);
        assertThat(queue.done(immediate)).isTrue();
        assertThat(queue.claim(EMAIL, "w")).isEmpty();
        clock.advance(Duration.ofMinutes(5));
        Lease later = claimOne("w");
        assertThat(later.payload()).isEqualTo("later");
        assertThat(queue.done(later)).isTrue();
        assertThat(queue.claim(EMAIL, "w")).isEmpty();
        clock.advance(Duration.ofMinutes(5));
        assertThat(claimOne("w").payload()).isEqualTo("latest");
    }

    @Test
    void dedupKeyReturnsTheUnfinishedEntryAndIsFreedWhenItFinishes() {
        EnqueueResult first = queue.enqueue(JobRequest.builder("email").payload("a").dedupKey("order-42").build());
        EnqueueResult second = queue.enqueue(JobRequest.builder("email").payload("b").dedupKey("order-42").build());

        assertThat(first.isDuplicate()).isFalse();
        assertThat(second).isEqualTo(EnqueueResult.duplicateOf(first.id()));
        assertThat(queue.stats().forType("email").ready()).isEqualTo(1);

        Lease lease = claimOne("w");
        assertThat(queue.enqueue(JobRequest.builder("email").payload("c").dedupKey("order-42").build()))
                .as("still unfinished while leased").isEqualTo(EnqueueResult.duplicateOf(first.id()));
        assertThat(queue.done(lease)).isTrue();

        EnqueueResult third = queue.enqueue(JobRequest.builder("email").payload("d").dedupKey("order-42").build());
        assertThat(third.isDuplicate()).isFalse();
        assertThat(third.id()).isNotEqualTo(first.id());
    }

    @Test
    void deadLetteredEntryFreesItsDedupKey() {
        String id = queue.enqueue(JobRequest.builder("email").payload("a").dedupKey("k").maxAttempts(1).build()).id();
        assertThat(queue.release(claimOne("w"), Duration.ZERO, JobError.of("boom"))).isEqualTo(ReleaseResult.DEAD_LETTERED);

        EnqueueResult again = queue.enqueue(JobRequest.builder("email").payload("b").dedupKey("k").build());

        assertThat(again.isDuplicate()).isFalse();
        RequeueResult requeue = queue.requeueDead(id);

        assertThat(requeue).isEqualTo(RequeueResult.dedupKeyHeld(id, "k", again.id()));
        assertThat(requeue.describe()).contains("dedup key \"k\"").contains(again.id());
        assertThat(queue.get(id).orElseThrow().state()).as("still dead").isEqualTo(JobState.DEAD);
    }

    @Test
    void staleWorkerCanNeitherCompleteExtendNorReleaseTheNewOwnersLease() {
        queue.enqueue("email", "hello", VT);
        Lease stale = claimOne("A");
        clock.advance(VT.plusSeconds(1));
        Lease current = claimOne("B");

        assertThat(queue.done(stale)).isFalse();
        assertThat(queue.extend(stale, VT)).isEmpty();
        assertThat(queue.release(stale, Duration.ZERO, JobError.of("late"))).isEqualTo(ReleaseResult.LEASE_LOST);
        assertThat(queue.deadLetter(stale, JobError.of("late"))).isEqualTo(ReleaseResult.LEASE_LOST);
        assertThat(queue.giveBack(stale)).isFalse();
        assertThat(queue.extendAll(List.of(stale), VT).lost()).containsExactly(stale);

        JobEntry entry = queue.get(current.id()).orElseThrow();
        assertThat(entry.state()).isEqualTo(JobState.LEASED);
        assertThat(entry.workerId()).isEqualTo("B");
        assertThat(entry.visibleAt()).isEqualTo(current.deadline());
        assertThat(entry.lastError()).isNull();

        Lease extended = queue.extend(current, Duration.ofMinutes(2)).orElseThrow();
        assertThat(extended.deadline()).isEqualTo(clock.instant().plus(Duration.ofMinutes(2)));
        assertThat(queue.done(extended)).isTrue();
    }

    @Test
    void extensionKeepsTheEntryHiddenPastItsFirstDeadline() {
        queue.enqueue("email", "slow", VT);
        Lease lease = claimOne("w1");
        for (int i = 0; i < 5; i++) {
            clock.advance(VT.dividedBy(2));
            lease = queue.extend(lease, VT).orElseThrow();
            assertThat(queue.claim(EMAIL, "w2")).isEmpty();
        }
        assertThat(queue.done(lease)).isTrue();
    }

    @Test
    void extendAllRenewsHeldLeasesAndReportsLostOnes() {
        queue.enqueueAll(List.of(JobRequest.builder("email").payload("1").build(),
                JobRequest.builder("email").payload("2").build(), JobRequest.builder("email").payload("3").build()));
        List<Lease> leases = queue.claimBatch(EMAIL, "w1", 3);
        assertThat(leases).hasSize(3);
        assertThat(queue.done(leases.get(1))).isTrue();

        clock.advance(Duration.ofSeconds(10));
        ExtensionResult extension = queue.extendAll(leases, Duration.ofMinutes(1));

        assertThat(extension.lost()).containsExactly(leases.get(1));
        assertThat(extension.extended()).extracting(Lease::id).containsExactly(leases.get(0).id(), leases.get(2).id());
        assertThat(extension.extended()).allSatisfy(lease ->
                assertThat(lease.deadline()).isEqualTo(clock.instant().plus(Duration.ofMinutes(1))));
        clock.advance(Duration.ofSeconds(59));
        assertThat(queue.claim(EMAIL, "w2")).isEmpty();
    }

    @Test
    void releaseRecordsTheErrorAndRetriesAfterTheDelay() {
        String id = queue.enqueue("email", "hello", VT);
        Lease lease = claimOne("w1");

        ReleaseResult result = queue.release(lease, Duration.ofSeconds(20), JobError.of(new IllegalStateException("smtp down")));

        assertThat(result).isEqualTo(ReleaseResult.RETRY_SCHEDULED);
        JobEntry entry = queue.get(id).orElseThrow();
        assertThat(entry.state()).isEqualTo(JobState.READY);
        assertThat(entry.visibleAt()).isEqualTo(clock.instant().plusSeconds(20));
        assertThat(entry.lastError().message()).isEqualTo("smtp down");
        assertThat(entry.lastError().exceptionClass()).isEqualTo(IllegalStateException.class.getName());
        assertThat(entry.lastError().workerId()).isEqualTo("w1");
        assertThat(entry.lastError().attempt()).isEqualTo(1);
        assertThat(entry.lastError().at()).isEqualTo(clock.instant());

        clock.advance(Duration.ofSeconds(19));
        assertThat(queue.claim(EMAIL, "w2")).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(claimOne("w2").attempt()).isEqualTo(2);
    }

    @Test
    void lastFailedAttemptDeadLettersThenRequeueAndPurge() {
        String id = queue.enqueue(JobRequest.builder("email").payload("poison").maxAttempts(2).build()).id();
        assertThat(queue.release(claimOne("w"), Duration.ZERO, JobError.of("bad 1"))).isEqualTo(ReleaseResult.RETRY_SCHEDULED);
        Lease last = claimOne("w");
        assertThat(last.isLastAttempt()).isTrue();
        assertThat(queue.release(last, Duration.ZERO, JobError.of("bad 2"))).isEqualTo(ReleaseResult.DEAD_LETTERED);

        assertThat(queue.claim(EMAIL, "w")).as("dead letters are not claimable").isEmpty();
        DeadLetterPage dead = queue.deadLetters(null, null, 10);
        assertThat(dead.next()).as("nothing follows").isNull();
        assertThat(dead.entries()).singleElement().satisfies(entry -> {
            assertThat(entry.id()).isEqualTo(id);
            assertThat(entry.state()).isEqualTo(JobState.DEAD);
            assertThat(entry.attempts()).isEqualTo(2);
            assertThat(entry.lastError().message()).isEqualTo("bad 2");
            assertThat(entry.deadAt()).isEqualTo(clock.instant());
        });
        assertThat(queue.stats().forType("email").dead()).isEqualTo(1);

        assertThat(queue.requeueDead(id)).isEqualTo(RequeueResult.requeued(id));
        assertThat(queue.requeueDead(id)).as("no longer dead").isEqualTo(RequeueResult.notDead(id));
        Lease again = claimOne("w");
        assertThat(again.attempt()).as("attempts reset").isEqualTo(1);
        assertThat(queue.deadLetter(again, JobError.of("final"))).isEqualTo(ReleaseResult.DEAD_LETTERED);

        assertThat(queue.purgeDead(null, clock.instant())).as("only those dead before the cutoff").isZero();
        assertThat(queue.purgeDead("other", clock.instant().plusSeconds(1))).isZero();
        assertThat(queue.purgeDead("email", clock.instant().plusSeconds(1))).isEqualTo(1);
        assertThat(queue.get(id)).isEmpty();
    }

    @Test
    void requeueDeadReportsAnEntryThatDoesNotExist() {
        String id = queue.enqueue("email", "a", Duration.ofMinutes(1));
        assertThat(queue.done(claimOne("w"))).isTrue();

        assertThat(queue.requeueDead(id)).isEqualTo(RequeueResult.notFound(id));
        assertThat(RequeueResult.notFound(id).describe()).startsWith("no job with id " + id);
    }

    @Test
    void requeueAllDeadBringsBackEveryDeadEntryOfTheType() {
        for (int i = 0; i < 3; i++) {
            queue.enqueue(JobRequest.builder("email").payload("p" + i).maxAttempts(1).dedupKey(i == 0 ? "key" : null).build());
        }
        queue.enqueue(JobRequest.builder("sms").payload("s").maxAttempts(1).build());
        for (Lease lease : queue.claimBatch(Set.of("email", "sms"), "w", 10)) {
            queue.release(lease, Duration.ZERO, JobError.of("x"));
        }
        assertThat(queue.stats().dead()).isEqualTo(4);

        assertThat(queue.requeueAllDead("email")).isEqualTo(3);

        assertThat(queue.stats().forType("email").ready()).isEqualTo(3);
        assertThat(queue.stats().forType("sms").dead()).isEqualTo(1);
        assertThat(queue.enqueue(JobRequest.builder("email").payload("dup").dedupKey("key").build()).isDuplicate())
                .as("requeued entry holds its dedup key again").isTrue();
    }

    @Test
    void deadLettersArePagedNewestFirstByCursorWithoutPayloads() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(queue.enqueue(JobRequest.builder(i % 2 == 0 ? "email" : "sms").payload("p" + i).maxAttempts(1).build()).id());
            queue.deadLetter(queue.claim(Set.of("email", "sms"), "w").orElseThrow(), JobError.of("x"));
            clock.advance(Duration.ofSeconds(1));
        }

        DeadLetterPage first = queue.deadLetters(null, null, 2);
        assertThat(first.entries()).extracting(JobEntry::id).containsExactly(ids.get(4), ids.get(3));
        assertThat(first.entries()).extracting(JobEntry::payload).as("lists leave payloads out").containsOnlyNulls();
        assertThat(first.hasNext()).isTrue();
        DeadLetterPage second = queue.deadLetters(null, first.next(), 2);
        assertThat(second.entries()).extracting(JobEntry::id).containsExactly(ids.get(2), ids.get(1));
        DeadLetterPage last = queue.deadLetters(null, second.next(), 2);
        assertThat(last.entries()).extracting(JobEntry::id).containsExactly(ids.get(0));
        assertThat(last.hasNext()).as("the last page says so").isFalse();
        assertThat(queue.deadLetters(null, null, 5).hasNext()).as("exactly a page: no empty page follows").isFalse();

        DeadLetterPage emails = queue.deadLetters("email", null, 2);
        assertThat(emails.entries()).extracting(JobEntry::id).containsExactly(ids.get(4), ids.get(2));
        assertThat(queue.deadLetters("email", emails.next(), 2).entries()).extracting(JobEntry::id).containsExactly(ids.get(0));
        assertThat(queue.deadLetters("email", first.next(), 10).entries()).as("a cursor is a position, for any type filter")
                .extracting(JobEntry::id).containsExactly(ids.get(2), ids.get(0));
        assertThat(queue.get(ids.get(4)).orElseThrow().payload()).as("get reads the whole entry").isEqualTo("p4");
    }

    @Test
    void deadLetterPagesNeitherSkipNorRepeatEntriesThatDiedInTheSameMillisecond() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 7; i++) {
            ids.add(queue.enqueue(JobRequest.builder("email").payload("p" + i).maxAttempts(1).build()).id());
        }
        for (int i = 0; i < 7; i++) {
            queue.deadLetter(claimOne("w"), JobError.of("x"));
        }

        List<String> seen = new ArrayList<>();
        String after = null;
        do {
            DeadLetterPage page = queue.deadLetters("email", after, 3);
            page.entries().forEach(entry -> seen.add(entry.id()));
            after = page.next();
        } while (after != null);

        assertThat(seen).as("ids descending within the millisecond").containsExactlyInAnyOrderElementsOf(ids)
                .isSortedAccordingTo(Comparator.reverseOrder());
    }

    @Test
    void deadLetterPagesSurviveEntriesRemovedBeforeTheCursor() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(queue.enqueue(JobRequest.builder("email").payload("p" + i).maxAttempts(1).build()).id());
            queue.deadLetter(claimOne("w"), JobError.of("x"));
            clock.advance(Duration.ofSeconds(1));
        }
        DeadLetterPage first = queue.deadLetters(null, null, 2);

        assertThat(queue.requeueDead(ids.get(3)).isRequeued()).isTrue();

        assertThat(queue.deadLetters(null, first.next(), 2).entries()).as("an offset would now skip one")
                .extracting(JobEntry::id).containsExactly(ids.get(1), ids.get(0));
    }

    @Test
    void aMalformedCursorIsRefusedNamingTheArgument() {
        for (String bad : new String[] {"", "not a cursor", "AAAA", "e30", "%%%", "BQAAAAA"}) {
            assertThatThrownBy(() -> queue.deadLetters(null, bad, 10)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("after was \"" + bad + "\" but must be the next cursor of a dead-letter page"
                            + " (DeadLetterPage.next()), or null for the first page");
        }
    }

    @Test
    void leaseThatExpiresOnItsLastAttemptIsDeadLetteredNotRunAgain() {
        String id = queue.enqueue(JobRequest.builder("email").payload("kills workers").maxAttempts(1).build()).id();
        claimOne("crashing-worker");
        clock.advance(VT.plusSeconds(1));

        assertThat(queue.claim(EMAIL, "w2")).isEmpty();

        JobEntry entry = queue.get(id).orElseThrow();
        assertThat(entry.state()).isEqualTo(JobState.DEAD);
        assertThat(entry.lastError().message()).contains("lease expired");
    }

    @Test
    void giveBackMakesTheEntryClaimableAtOnceWithoutUsingAnAttempt() {
        queue.enqueue("email", "x", VT);
        Lease lease = claimOne("w1");

        assertThat(queue.giveBack(lease)).isTrue();

        Lease again = claimOne("w2");
        assertThat(again.attempt()).isEqualTo(1);
        assertThat(queue.done(lease)).as("old token is dead").isFalse();
    }

    @Test
    void eachEntryKeepsItsOwnVisibilityTimeout() {
        queue.enqueue("email", "short", Duration.ofSeconds(5));
        queue.enqueue("email", "long", Duration.ofMinutes(10));
        queue.enqueue("email", "short again", Duration.ofSeconds(5));

        Lease shortLease = claimOne("w");
        Lease longLease = claimOne("w");
        Lease shortAgain = claimOne("w");

        assertThat(shortLease.deadline()).isEqualTo(clock.instant().plusSeconds(5));
        assertThat(longLease.deadline()).isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));
        assertThat(shortAgain.deadline()).isEqualTo(clock.instant().plusSeconds(5));
        assertThat(queue.get(longLease.id()).orElseThrow().visibleAt()).isEqualTo(longLease.deadline());
        clock.advance(Duration.ofSeconds(6));
        assertThat(claimOne("w2").payload()).isIn("short", "short again");
        assertThat(claimOne("w2").payload()).isIn("short", "short again");
        assertThat(queue.claim(EMAIL, "w2")).isEmpty();
    }

    @Test
    void claimBatchTakesUpToMaxInClaimOrder() {
        List<JobRequest> requests = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            requests.add(JobRequest.builder("email").payload("p" + i).priority(i).build());
        }
        queue.enqueueAll(requests);

        List<Lease> first = queue.claimBatch(EMAIL, "w", 3);
        List<Lease> rest = queue.claimBatch(EMAIL, "w", 3);

        assertThat(first).extracting(Lease::payload).containsExactly("p4", "p3", "p2");
        assertThat(rest).extracting(Lease::payload).containsExactly("p1", "p0");
        assertThat(first).allSatisfy(lease -> {
            assertThat(lease.attempt()).isEqualTo(1);
            assertThat(lease.deadline()).isEqualTo(clock.instant().plus(QueueConfig.DEFAULT_VISIBILITY_TIMEOUT));
        });
        assertThat(queue.claimBatch(EMAIL, "w", 3)).isEmpty();
        assertThat(queue.done(first.get(0))).isTrue();
    }

    @Test
    void batchClaimTakesAtMostTheLimitOfEachTypeInPriorityOrderAcrossTypes() {
        for (int i = 0; i < 4; i++) {
            queue.enqueue(JobRequest.builder("bulk").payload("b" + i).build());
        }
        String urgent1 = queue.enqueue(JobRequest.builder("urgent").payload("u1").priority(9).build()).id();
        queue.enqueue(JobRequest.builder("urgent").payload("u2").priority(9).build());
        String idle = queue.enqueue(JobRequest.builder("paused").payload("p").priority(9).build()).id();

        List<Lease> leases = queue.claimBatch(java.util.Map.of("urgent", 1, "bulk", 5, "paused", 0), "w1", 4);

        assertThat(leases).hasSize(4);
        assertThat(leases).filteredOn(lease -> lease.type().equals("urgent")).extracting(Lease::id)
                .as("the most urgent entry comes first, but only one of its type").containsExactly(urgent1);
        assertThat(leases).filteredOn(lease -> lease.type().equals("bulk")).hasSize(3);
        assertThat(queue.get(idle).orElseThrow().state()).as("a type with limit 0 is not claimed").isEqualTo(JobState.READY);
    }

    @Test
    void anExtensionNeverShortensALease() {
        queue.enqueue("email", "long", VT);
        Lease lease = claimOne("w1");
        Lease longer = queue.extend(lease, Duration.ofHours(1)).orElseThrow();

        Lease afterShorter = queue.extend(lease, Duration.ofMinutes(1)).orElseThrow();
        ExtensionResult batch = queue.extendAll(List.of(lease), Duration.ofMinutes(2));

        Instant inAnHour = clock.instant().plus(Duration.ofHours(1));
        assertThat(longer.deadline()).isEqualTo(inAnHour);
        assertThat(afterShorter.deadline()).as("the later deadline stands").isEqualTo(inAnHour);
        assertThat(batch.extended()).extracting(Lease::deadline).as("never later than the stored deadline")
                .allSatisfy(deadline -> assertThat(deadline).isBetween(clock.instant().plus(Duration.ofMinutes(2)), inAnHour));
        assertThat(queue.get(lease.id()).orElseThrow().visibleAt()).isEqualTo(inAnHour);
        clock.advance(Duration.ofMinutes(30));
        assertThat(queue.claim(EMAIL, "w2")).as("still hidden after the shorter extensions ran out").isEmpty();
    }

    @Test
    void enqueueAllReportsEachOutcomeInOrder() {
        String existing = queue.enqueue(JobRequest.builder("email").payload("x").dedupKey("a").build()).id();

        List<EnqueueResult> results = queue.enqueueAll(List.of(
                JobRequest.builder("email").payload("1").build(),
                JobRequest.builder("email").payload("2").dedupKey("a").build(),
                JobRequest.builder("email").payload("3").dedupKey("b").build(),
                JobRequest.builder("email").payload("4").dedupKey("b").build()));

        assertThat(results).hasSize(4);
        assertThat(results.get(0).isDuplicate()).isFalse();
        assertThat(results.get(1)).isEqualTo(EnqueueResult.duplicateOf(existing));
        assertThat(results.get(2).isDuplicate()).isFalse();
        assertThat(results.get(3)).isEqualTo(EnqueueResult.duplicateOf(results.get(2).id()));
        assertThat(queue.stats().forType("email").ready()).isEqualTo(3);
    }

    @Test
    void documentAndJsonPayloadsRoundTrip() {
        queue.enqueue("email", new Document("to", "a@example.com").append("n", 3), VT);
        queue.enqueue(JobRequest.builder("email").jsonPayload("{\"to\": \"b@example.com\"}").build());
        queue.enqueue("email", "not json", VT);

        Lease doc = claimOne("w");
        Lease json = claimOne("w");
        Lease text = claimOne("w");

        assertThat(doc.hasDocumentPayload()).isTrue();
        assertThat(doc.payloadDocument()).isEqualTo(new Document("to", "a@example.com").append("n", 3));
        assertThat(Document.parse(doc.payload()).getString("to")).isEqualTo("a@example.com");
        assertThat(json.payloadDocument().getString("to")).isEqualTo("b@example.com");
        assertThatThrownBy(text::payloadDocument).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(text.id()).hasMessageContaining("not a JSON object");
    }

    @Test
    void statsCountByTypeAndStateWithOldestReadyAge() {
        queue.enqueue("email", "a", VT);
        clock.advance(Duration.ofSeconds(30));
        queue.enqueue("email", "b", VT);
        queue.enqueue(JobRequest.builder("email").payload("later").delay(Duration.ofHours(1)).build());
        queue.enqueue("sms", "c", VT);
        queue.enqueue("sms", "d", Duration.ofSeconds(5));
        queue.claim(Set.of("sms"), "w");
        queue.claim(Set.of("sms"), "w");
        clock.advance(Duration.ofSeconds(10));

        QueueStats stats = queue.stats();

        QueueStats.TypeStats email = stats.forType("email");
        assertThat(email.ready()).isEqualTo(2);
        assertThat(email.delayed()).isEqualTo(1);
        assertThat(email.oldestReadyAge()).isEqualTo(Duration.ofSeconds(40));
        QueueStats.TypeStats sms = stats.forType("sms");
        assertThat(sms.leased()).isEqualTo(1);
        assertThat(sms.expiredLeases()).as("the 5 s lease has expired").isEqualTo(1);
        assertThat(sms.ready()).isZero();
        assertThat(stats.byType()).extracting(QueueStats.TypeStats::type).containsExactly("email", "sms");
    }

    @Test
    void peekShowsReadyEntriesInClaimOrderWithoutClaiming() {
        queue.enqueue(JobRequest.builder("email").payload("low").build());
        queue.enqueue(JobRequest.builder("email").payload("high").priority(5).build());
        queue.enqueue(JobRequest.builder("sms").payload("other").build());

        String low = queue.peek("email", 10).get(1).id();
        assertThat(queue.get(low).orElseThrow().payload()).isEqualTo("low");
        assertThat(queue.peek("email", 10)).extracting(JobEntry::priority).containsExactly(5, 0);
        assertThat(queue.peek("email", 10)).extracting(JobEntry::payload).as("lists leave payloads out").containsOnlyNulls();
        assertThat(queue.peek(null, 1)).extracting(JobEntry::priority).containsExactly(5);
        assertThat(queue.stats().ready()).isEqualTo(3);
    }

    @Test
    void rejectsBadArgumentsNamingValueAndRule() {
        assertThatThrownBy(() -> queue.enqueue(" ", "x", VT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("type was \" \"").hasMessageContaining("non-blank");
        assertThatThrownBy(() -> queue.enqueue("email", (String) null, VT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("payload was null");
        assertThatThrownBy(() -> queue.enqueue("email", "x", Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("visibilityTimeout was PT0S but must be positive");
        assertThatThrownBy(() -> queue.enqueue("email", "x", Duration.ofHours(13))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("visibilityTimeout was PT13H but must be at most PT12H");
        assertThatThrownBy(() -> queue.enqueue(JobRequest.builder("email").payload("x").delay(Duration.ofSeconds(-1)).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("delay was PT-1S but must be zero or positive");
        assertThatThrownBy(() -> queue.enqueue(JobRequest.builder("email").payload("x").maxAttempts(0).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts was 0 but must be at least 1");
        assertThatThrownBy(() -> JobRequest.builder("email").jsonPayload("{not json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a valid JSON object");
        assertThatThrownBy(() -> queue.claim(Set.of(), "w")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("types");
        assertThatThrownBy(() -> queue.claim(EMAIL, " ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("workerId");
        assertThatThrownBy(() -> queue.claimBatch(EMAIL, "w", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max was 0");
        assertThatThrownBy(() -> queue.requeueDead("nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("id was \"nope\"");
        assertThat(queue.stats().byType()).as("nothing was inserted").isEmpty();
    }

    /** One exception for bad arguments: a null where none is allowed is no NullPointerException. */
    @Test
    void rejectsNullArgumentsAsBadArgumentsNamingThem() {
        assertThatThrownBy(() -> queue.done(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("lease was null but must be given");
        assertThatThrownBy(() -> queue.enqueue((JobRequest) null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("request was null but must be given");
        assertThatThrownBy(() -> queue.enqueueAll(Arrays.asList(JobRequest.builder("email").payload("x").build(), null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("requests[1] was null but must be given");
        assertThatThrownBy(() -> queue.purgeDead(null, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("before was null but must be given");
        assertThat(queue.stats().byType()).as("nothing was inserted").isEmpty();
    }

    /** Type limits make a batch claim skip candidates and look again; the passes together still take at most max. */
    @Test
    void aBatchClaimNeverTakesMoreThanMaxHoweverManyPassesItNeeds() {
        // Three urgent entries of a type limited to one, then some of a second type limited to one.
        for (String prefix : List.of("one", "two")) {
            for (int i = 0; i < 3; i++) {
                queue.enqueue(JobRequest.builder(prefix + ".a").payload(prefix + ".a" + i).priority(9).build());
            }
            for (int i = 0; i < (prefix.equals("one") ? 3 : 2); i++) {
                queue.enqueue(JobRequest.builder(prefix + ".b").payload(prefix + ".b" + i).priority(8).build());
            }
            for (int i = 0; i < 5; i++) {
                queue.enqueue(JobRequest.builder(prefix + ".c").payload(prefix + ".c" + i).build());
            }
        }

        // Pass 1 reads a0-a2 and may take a0; pass 2 reads the next two, b0-b1, and may take b0;
        // pass 3 reads the next one: c0. Whether b's candidates end before the last pass or not.
        for (String prefix : List.of("one", "two")) {
            List<Lease> leases = queue.claimBatch(Map.of(prefix + ".a", 1, prefix + ".b", 1, prefix + ".c", 5), "w", 3);

            assertThat(leases).extracting(Lease::payload).as(prefix)
                    .containsExactly(prefix + ".a0", prefix + ".b0", prefix + ".c0");
        }
        assertThat(queue.stats().leased()).as("nothing leased beyond what was returned").isEqualTo(6);
    }

    @Test
    void rejectsBadDurationsPagesAndBatchSizesNamingTheArgument() {
        queue.enqueue("email", "x", VT);
        Lease lease = claimOne("w1");
        for (Duration bad : Arrays.asList(null, Duration.ZERO, Duration.ofMillis(-1),
                JobRequest.MAX_VISIBILITY_TIMEOUT.plusMillis(1))) {
            String rule = "duration was " + bad + " but must be positive and at most PT12H";
            assertThatThrownBy(() -> queue.extend(lease, bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(rule);
            assertThatThrownBy(() -> queue.extendAll(List.of(lease), bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(rule);
            assertThatThrownBy(() -> queue.extendAll(List.of(), bad)).as("even with no leases")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(rule);
        }
        assertThat(queue.get(lease.id()).orElseThrow().visibleAt()).as("nothing was extended").isEqualTo(lease.deadline());

        for (int bad : new int[] {0, -1, 1_001}) {
            String page = "limit was " + bad + " but must be between 1 and 1000";
            String batch = "max was " + bad + " but must be between 1 and 1000";
            assertThatThrownBy(() -> queue.peek(null, bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(page);
            assertThatThrownBy(() -> queue.deadLetters(null, null, bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(page);
            assertThatThrownBy(() -> queue.claimBatch(EMAIL, "w", bad)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(batch);
            assertThatThrownBy(() -> queue.claimBatch(Map.of("email", 1), "w", bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(batch);
        }
        assertThatThrownBy(() -> queue.claimBatch(Map.of("email", -1), "w", 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit of type \"email\" was -1 but must be zero or positive");
        Map<String, Integer> nullLimit = new HashMap<>();
        nullLimit.put("email", null);
        assertThatThrownBy(() -> queue.claimBatch(nullLimit, "w", 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limit of type \"email\" was null");
        assertThatThrownBy(() -> queue.claimBatch((Collection<String>) null, "w", 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("types was null");
        assertThatThrownBy(() -> queue.claimBatch(Map.of(), "w", 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("types was []");
        assertThatThrownBy(() -> queue.claimBatch(EMAIL, null, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("workerId was null");

        // The limits themselves are allowed.
        assertThat(queue.peek(null, 1_000)).isEmpty();
        assertThat(queue.deadLetters(null, null, 1_000).entries()).isEmpty();
        assertThat(queue.claimBatch(EMAIL, "w", 1_000)).isEmpty();
        assertThat(queue.claimBatch(Map.of("email", 0), "w", 1)).as("limit 0: not claimed").isEmpty();
        Lease longest = queue.extend(lease, JobRequest.MAX_VISIBILITY_TIMEOUT).orElseThrow();
        assertThat(longest.deadline()).isEqualTo(clock.instant().plus(JobRequest.MAX_VISIBILITY_TIMEOUT));
        assertThat(queue.extendAll(List.of(), Duration.ofMillis(1)).extended()).isEmpty();
    }

    @Test
    void aClosedQueueRefusesEveryOperationNamingItAndTheQueue() {
        queue.enqueue("email", "x", VT);
        Lease lease = claimOne("w1");
        String id = lease.id();
        JobError error = JobError.of("failed");
        queue.close();

        Map<String, ThrowingCallable> operations = new LinkedHashMap<>();
        operations.put("enqueue of type \"email\"", () -> queue.enqueue("email", "y", VT));
        operations.put("enqueueAll of 1 entries", () -> queue.enqueueAll(List.of(JobRequest.builder("email").payload("y").build())));
        operations.put("claim of [email]", () -> queue.claim(EMAIL, "w2"));
        operations.put("claimBatch of [email]", () -> queue.claimBatch(EMAIL, "w2", 5));
        operations.put("done of " + id, () -> queue.done(lease));
        operations.put("extend of " + id, () -> queue.extend(lease, VT));
        operations.put("extendAll of 1 leases", () -> queue.extendAll(List.of(lease), VT));
        operations.put("release of " + id, () -> queue.release(lease, Duration.ZERO, error));
        operations.put("dead-letter of " + id, () -> queue.deadLetter(lease, error));
        operations.put("give-back of " + id, () -> queue.giveBack(lease));
        operations.put("stats", () -> queue.stats());
        operations.put("get of " + id, () -> queue.get(id));
        operations.put("peek", () -> queue.peek(null, 10));
        operations.put("list of dead letters", () -> queue.deadLetters(null, null, 10));
        operations.put("requeue of " + id, () -> queue.requeueDead(id));
        operations.put("requeue of all dead letters", () -> queue.requeueAllDead(null));
        operations.put("purge of dead letters", () -> queue.purgeDead(null, clock.instant()));
        operations.put("index creation", () -> queue.ensureIndexes());
        operations.forEach((operation, call) -> assertThatThrownBy(call).as(operation)
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(operation + " on queue " + queue.name() + " is not possible: the queue is closed"));

        try (JobQueue reopened = JobQueue.using(client(), config().build())) {
            JobEntry entry = reopened.get(id).orElseThrow();
            assertThat(entry.state()).as("nothing reached the database").isEqualTo(JobState.LEASED);
            assertThat(entry.workerId()).isEqualTo("w1");
            assertThat(reopened.stats().forType("email").unfinished()).isEqualTo(1);
        }
    }

    @Test
    void enqueueAllTellsListenersTheBatchsNewTypesOnce() {
        try (JobQueue local = JobQueue.using(client(), config().changeStreams(false).build())) {
            List<Set<String>> heard = new CopyOnWriteArrayList<>();
            Runnable unregister = local.onEnqueue(heard::add);

            local.enqueueAll(List.of(JobRequest.builder("email").payload("1").build(),
                    JobRequest.builder("sms").payload("2").build(),
                    JobRequest.builder("email").payload("3").dedupKey("k").build()));
            assertThat(heard).containsExactly(Set.of("email", "sms"));

            local.enqueueAll(List.of(JobRequest.builder("email").payload("4").dedupKey("k").build()));
            assertThat(heard).as("a duplicate inserts nothing: nothing new to wake for").hasSize(1);
            local.enqueueAll(List.of(JobRequest.builder("push").payload("5").build(),
                    JobRequest.builder("email").payload("6").dedupKey("k").build()));
            assertThat(heard).containsExactly(Set.of("email", "sms"), Set.of("push"));

            unregister.run();
            local.enqueueAll(List.of(JobRequest.builder("email").payload("7").build()));
            assertThat(heard).hasSize(2);
        }
    }

    @Test
    void reportsAllProblemsOfOneRequestAtOnce() {
        assertThatThrownBy(() -> JobRequest.builder("").visibilityTimeout(Duration.ofSeconds(-5)).maxAttempts(0).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("type was \"\"")
                .hasMessageContaining("payload was null")
                .hasMessageContaining("visibilityTimeout was PT-5S")
                .hasMessageContaining("maxAttempts was 0");
    }

    @Test
    void rejectsOversizedPayloadBeforeSendingIt() {
        String huge = "x".repeat(JobQueue.MAX_PAYLOAD_BYTES + 1);

        assertThatThrownBy(() -> queue.enqueue("email", huge, VT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("too large")
                .hasMessageContaining(String.valueOf(JobQueue.MAX_PAYLOAD_BYTES))
                .hasMessageContaining("enqueue a reference");
        assertThatThrownBy(() -> queue.enqueueAll(List.of(JobRequest.builder("email").payload("ok").build(),
                JobRequest.builder("email").payload(huge).build())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("requests[1]");
        assertThat(queue.stats().byType()).as("a rejected batch inserts nothing").isEmpty();
    }
}
