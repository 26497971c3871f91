package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.HandlerOptions;
import io.docjobs.Lease;
import io.docjobs.RecordingLogger;
import io.docjobs.testing.TestLeases;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.event.Level;

/** The engine's small parts on their own: slot counts, wake-up counters, the outage log. */
@Timeout(30)
class SlotsAndSignalsTest {
    private static Registration limited(String type, int concurrency) {
        return new Registration(type, job -> { }, HandlerOptions.builder().concurrency(concurrency).build());
    }

    private static Registration unlimited(String type) {
        return new Registration(type, job -> { }, HandlerOptions.DEFAULTS);
    }

    // ------------------------------------------------------------------ Slots

    @Test
    void aLimitOfAtLeastTheWorkersIsNoLimitOfItsOwn() {
        Slots slots = new Slots(4, List.of(limited("equal", 4), limited("above", 9), limited("below", 3), unlimited("free")));

        assertThat(slots.typeFree("equal")).isEqualTo(-1);
        assertThat(slots.typeFree("above")).isEqualTo(-1);
        assertThat(slots.typeFree("free")).isEqualTo(-1);
        assertThat(slots.typeFree("below")).isEqualTo(3);
        assertThat(slots.globalFree()).isEqualTo(4);
    }

    @Test
    void aReservationTakesNoMoreThanAskedAndCountsDownTheFreeSlots() {
        Slots slots = new Slots(8, List.of(limited("limited", 3), unlimited("other")));

        Slots.Reservation reservation = slots.reserve(5);

        assertThat(reservation.total).isEqualTo(5);
        assertThat(reservation.room()).containsExactly(java.util.Map.entry("limited", 3), java.util.Map.entry("other", 5));
        assertThat(slots.globalFree()).isEqualTo(3);
        assertThat(slots.held()).isEqualTo(5);
        assertThat(slots.typeFree("limited")).as("held for this round").isZero();
        assertThat(slots.typeFree("other")).isEqualTo(-1);
    }

    @Test
    void aReservationHoldsOnlyItsRoomOfALimitedType() {
        Slots slots = new Slots(8, List.of(limited("limited", 3)));

        Slots.Reservation reservation = slots.reserve(2);

        assertThat(reservation.room()).containsExactly(java.util.Map.entry("limited", 2));
        assertThat(slots.typeFree("limited")).as("one left for the next round").isEqualTo(1);
        assertThat(slots.globalFree()).isEqualTo(6);
    }

    @Test
    void aReservationNeverHoldsMoreThanTheTypesWithRoomCanFill() {
        Slots slots = new Slots(8, List.of(limited("a", 2), limited("b", 1)));

        Slots.Reservation reservation = slots.reserve(8);

        assertThat(reservation.total).isEqualTo(3);
        assertThat(slots.globalFree()).isEqualTo(5);
        assertThat(slots.typeFree("a")).isZero();
        assertThat(slots.typeFree("b")).isZero();
    }

    @Test
    void aTypeAtItsLimitGetsNoRoomAndAloneItMakesTheReservationEmpty() {
        Slots slots = new Slots(4, List.of(limited("limited", 1), unlimited("other")));
        Slots.Reservation first = slots.reserve(1);
        assertThat(first.take("limited")).isTrue();
        first.releaseUnused();

        Slots.Reservation second = slots.reserve(4);
        assertThat(second.room()).as("the limited type has no room left").containsOnlyKeys("other");
        assertThat(second.total).isEqualTo(3);
        second.releaseUnused();

        Slots onlyLimited = new Slots(4, List.of(limited("limited", 1)));
        assertThat(onlyLimited.reserve(1).take("limited")).isTrue();
        Slots.Reservation none = onlyLimited.reserve(4);
        assertThat(none).isNotNull();
        assertThat(none.isEmpty()).isTrue();
        assertThat(none.room()).isEmpty();
        assertThat(onlyLimited.globalFree()).as("an empty reservation holds nothing").isEqualTo(3);
    }

    @Test
    void noFreeSlotMeansAnEmptyReservation() {
        Slots slots = new Slots(1, List.of(unlimited("email")));
        assertThat(slots.reserve(1).take("email")).isTrue();

        Slots.Reservation none = slots.reserve(5);

        assertThat(none.isEmpty()).isTrue();
        assertThat(none.take("email")).isFalse();
        assertThat(slots.globalFree()).isZero();
    }

    @Test
    void takeRefusesBeyondTheRoundAndBeyondTheTypesRoom() {
        Slots slots = new Slots(8, List.of(limited("limited", 2), unlimited("other")));
        Slots.Reservation reservation = slots.reserve(3);
        assertThat(reservation.total).isEqualTo(3);

        assertThat(reservation.take("unknown")).as("not in the round").isFalse();
        assertThat(reservation.take("limited")).isTrue();
        assertThat(reservation.take("limited")).isTrue();
        assertThat(reservation.take("limited")).as("the type's room is used up").isFalse();
        assertThat(reservation.take("other")).isTrue();
        assertThat(reservation.take("other")).as("the round's slots are used up").isFalse();

        reservation.releaseUnused();
        assertThat(slots.globalFree()).isEqualTo(5);
        assertThat(slots.typeFree("limited")).isZero();
    }

    @Test
    void releasingTheUnusedSlotsTwiceReturnsThemOnce() {
        Slots slots = new Slots(8, List.of(limited("limited", 2), unlimited("other")));
        Slots.Reservation reservation = slots.reserve(4);
        assertThat(reservation.take("other")).isTrue();

        reservation.releaseUnused();
        reservation.releaseUnused();

        assertThat(slots.globalFree()).isEqualTo(7);
        assertThat(slots.typeFree("limited")).isEqualTo(2);

        slots.free("other");
        assertThat(slots.globalFree()).isEqualTo(8);
        assertThat(slots.typeFree("limited")).isEqualTo(2);
    }

    @Test
    void freeingALimitedTypesSlotGivesItBackToTheTypeToo() {
        Slots slots = new Slots(4, List.of(limited("limited", 2)));
        Slots.Reservation reservation = slots.reserve(4);
        assertThat(reservation.take("limited")).isTrue();
        reservation.releaseUnused();
        assertThat(slots.typeFree("limited")).isEqualTo(1);

        slots.free("limited");

        assertThat(slots.typeFree("limited")).isEqualTo(2);
        assertThat(slots.globalFree()).isEqualTo(4);
    }

    // ------------------------------------------------------------------ Signal and Wakeups

    @Test
    void aSignalMovesTheGenerationOn() {
        Signal signal = new Signal();
        long before = signal.generation();

        signal.signal();

        assertThat(signal.generation()).isGreaterThan(before);
        assertThat(signal.generation()).isEqualTo(before + 1);
    }

    @Test
    void aSignalAfterTheGenerationWasReadEndsTheWaitAtOnce() throws Exception {
        Signal signal = new Signal();
        signal.signal();
        long seen = signal.generation();
        signal.signal();

        long start = System.nanoTime();
        signal.awaitChange(seen, TimeUnit.HOURS.toNanos(1));
        signal.awaitChange(signal.generation(), 0); // nothing left to wait
        signal.awaitChange(signal.generation(), -5);

        assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(10));
    }

    @Test
    void aWaitWithoutASignalLastsItsTime() throws Exception {
        Signal signal = new Signal();
        long start = System.nanoTime();

        signal.awaitChange(signal.generation(), TimeUnit.MILLISECONDS.toNanos(30));

        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(30));
    }

    @Test
    void readingOrWaitingDoesNotKeepTheLockFromOtherThreads() throws Exception {
        Signal signal = new Signal();
        long seen = signal.generation();
        signal.awaitChange(seen, 1);

        CompletableFuture.runAsync(signal::signal).get(10, TimeUnit.SECONDS);
        assertThat(CompletableFuture.supplyAsync(signal::generation).get(10, TimeUnit.SECONDS)).isEqualTo(seen + 1);
    }

    @Test
    void wakeUpCountersOnlyGoUp() {
        Wakeups wakeups = new Wakeups();
        Wakeups.Seen before = wakeups.seen();

        wakeups.work();
        wakeups.capacity();
        wakeups.capacity();

        Wakeups.Seen after = wakeups.seen();
        assertThat(after.work()).isEqualTo(before.work() + 1);
        assertThat(after.capacity()).isEqualTo(before.capacity() + 2);
    }

    // ------------------------------------------------------------------ OutageLog

    @Test
    void anOutageIsLoggedOnceWhenItStartsAndOnceWhenItEnds() {
        RecordingLogger logger = new RecordingLogger();
        OutageLog outage = new OutageLog(logger, "claiming jobs from q");

        outage.succeeded();
        assertThat(logger.at(Level.INFO)).as("no outage, nothing to report").isEmpty();

        outage.failed(new IllegalStateException("down"));
        outage.failed(new IllegalStateException("still down"));
        outage.failed(new IllegalStateException("still down"));
        assertThat(logger.at(Level.WARN)).singleElement().asString()
                .startsWith("claiming jobs from q failed, backing off").contains("down");
        assertThat(logger.at(Level.DEBUG)).hasSize(2);

        outage.succeeded();
        outage.succeeded();
        assertThat(logger.at(Level.INFO)).singleElement().asString()
                .startsWith("claiming jobs from q works again").endsWith("and 3 failed calls");

        outage.failed(new IllegalStateException("down again"));
        assertThat(logger.at(Level.WARN)).as("a new outage is reported anew").hasSize(2);
        outage.succeeded();
        assertThat(logger.at(Level.INFO)).hasSize(2).last().asString().endsWith("and 1 failed calls");
    }

    // ------------------------------------------------------------------ RunningJob, observation context

    private static Lease lease() {
        return TestLeases.builder().id("65f1c0ffee00000000000001").type("email").payload("x").attempt(2).maxAttempts(5)
                .token("t1").workerId("w1").deadline(Instant.parse("2026-11-30T12:00:30Z")).enqueuedAt(Instant.EPOCH)
                .visibleSince(Instant.EPOCH).visibilityTimeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void theSlotIsReleasedExactlyOnceAndSaysSo() {
        RunningJob job = new RunningJob(null, unlimited("email"), lease(), new ManualTicker());
        assertThat(job.slotReleased()).isFalse();

        assertThat(job.releaseSlot()).isTrue();

        assertThat(job.slotReleased()).isTrue();
        assertThat(job.releaseSlot()).isFalse();
        assertThat(job.slotReleased()).isTrue();
    }

    @Test
    void theObservationNamesTheRemoteService() {
        JobObservationContext context = new JobObservationContext(lease(), "q");
        assertThat(context.getRemoteServiceName()).isEqualTo("docjobs");
        assertThat(context.getContextualName()).isEqualTo("email process");
    }
}
