package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.MongoSocketReadException;
import com.mongodb.ServerAddress;
import io.docjobs.testing.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Database time between and across syncs, with the wall clock, the monotonic clock and the server's clock driven by hand. */
class ServerClockTest {
    private static final Duration SYNC = Duration.ofMinutes(5);
    private static final Instant SERVER_START = Instant.parse("2026-03-01T12:00:00Z");

    private final ManualClock wallClock = new ManualClock(Instant.parse("2026-03-01T11:59:00Z"));
    private final AtomicLong ticker = new AtomicLong(1_000_000_000_000L);
    /** The server's clock runs on the monotonic clock, reading SERVER_START at the start, until a test steps it. */
    private final AtomicReference<Instant> serverAtTickerZero =
            new AtomicReference<>(SERVER_START.minusNanos(ticker.get()));
    private final AtomicReference<RuntimeException> serverFailure = new AtomicReference<>();
    private final AtomicInteger serverCalls = new AtomicInteger();
    private Duration roundTrip = Duration.ZERO;

    private Optional<Instant> askServer() {
        serverCalls.incrementAndGet();
        if (serverFailure.get() != null) {
            throw serverFailure.get();
        }
        tick(roundTrip.dividedBy(2));
        Instant answer = serverAtTickerZero.get().plusNanos(ticker.get());
        tick(roundTrip.dividedBy(2));
        return Optional.of(answer);
    }

    private ServerClock syncedClock(Duration interval) {
        ServerClock serverClock = new ServerClock(wallClock, this::askServer, ticker::get, interval);
        serverClock.sync();
        return serverClock;
    }

    private void tick(Duration duration) {
        ticker.addAndGet(duration.toNanos());
    }

    /** The server's clock is stepped: from now on it reads {@code by} later (or earlier) than before. */
    private void stepServerClock(Duration by) {
        serverAtTickerZero.updateAndGet(base -> base.plus(by));
    }

    @Test
    void steppingTheLocalWallClockBetweenSyncsDoesNotMoveDatabaseTime() {
        ServerClock serverClock = syncedClock(SYNC);
        assertThat(serverClock.now()).isEqualTo(SERVER_START);

        wallClock.advance(Duration.ofHours(1)); // NTP step, or a VM resumed after a pause
        assertThat(serverClock.now()).isEqualTo(SERVER_START);

        wallClock.advance(Duration.ofHours(-2));
        assertThat(serverClock.now()).isEqualTo(SERVER_START);
    }

    @Test
    void monotonicTimeMovesDatabaseTime() {
        ServerClock serverClock = syncedClock(SYNC);

        tick(Duration.ofSeconds(90));

        assertThat(serverClock.now()).isEqualTo(SERVER_START.plusSeconds(90));
        assertThat(serverCalls).hasValue(1);
    }

    @Test
    void theAnchorIsTheServersTimeAtTheMidpointOfTheRoundTrip() {
        roundTrip = Duration.ofMillis(40);

        ServerClock serverClock = syncedClock(SYNC);

        // The server answered 20 ms into the call, which returned 20 ms later.
        assertThat(serverClock.now()).isEqualTo(SERVER_START.plusMillis(40));
    }

    @Test
    void aResyncAdoptsTheServersNewTime() {
        ServerClock serverClock = syncedClock(SYNC);
        stepServerClock(Duration.ofSeconds(7));
        wallClock.advance(Duration.ofHours(1));
        tick(SYNC);
        assertThat(serverClock.now()).as("not due yet").isEqualTo(SERVER_START.plus(SYNC));

        tick(Duration.ofMillis(1));

        Instant expected = SERVER_START.plus(SYNC).plusMillis(1).plusSeconds(7);
        assertThat(serverClock.now()).isEqualTo(expected);
        assertThat(serverCalls).hasValue(2);
        assertThat(serverClock.offset()).isEqualTo(Duration.between(wallClock.instant(), expected));
    }

    @Test
    void aFailedResyncKeepsTheAnchorAndWaitsAnIntervalBeforeTryingAgain() {
        ServerClock serverClock = syncedClock(SYNC);
        serverFailure.set(new MongoSocketReadException("connection reset", new ServerAddress()));
        wallClock.advance(Duration.ofHours(1));
        tick(SYNC.plusSeconds(1));

        assertThat(serverClock.now()).isEqualTo(SERVER_START.plus(SYNC).plusSeconds(1));
        tick(Duration.ofSeconds(10));
        assertThat(serverClock.now()).isEqualTo(SERVER_START.plus(SYNC).plusSeconds(11));
        assertThat(serverCalls).as("one attempt per interval, not one per call").hasValue(2);

        serverFailure.set(null);
        stepServerClock(Duration.ofSeconds(3));
        tick(SYNC);
        assertThat(serverClock.now()).isEqualTo(SERVER_START.plus(SYNC.multipliedBy(2)).plusSeconds(14));
        assertThat(serverCalls).hasValue(3);
    }

    @Test
    void theFirstSyncReportsItsFailureSoOpeningAQueueFails() {
        serverFailure.set(new MongoSocketReadException("connection reset", new ServerAddress()));
        ServerClock serverClock = new ServerClock(wallClock, this::askServer, ticker::get, SYNC);

        assertThatThrownBy(serverClock::sync).isInstanceOf(MongoSocketReadException.class);
    }

    @Test
    void withoutAnySuccessfulSyncTheLocalClockIsTheAnchor() {
        serverFailure.set(new MongoSocketReadException("connection reset", new ServerAddress()));
        ServerClock serverClock = new ServerClock(wallClock, this::askServer, ticker::get, SYNC);
        Instant local = wallClock.instant();

        assertThat(serverClock.now()).isEqualTo(local);
        wallClock.advance(Duration.ofHours(1));
        tick(Duration.ofSeconds(2));
        assertThat(serverClock.now()).isEqualTo(local.plusSeconds(2));
    }

    @Test
    void withSyncOffDatabaseTimeIsTheConfiguredClockAsIs() {
        ServerClock serverClock = new ServerClock(wallClock, this::askServer, ticker::get, Duration.ZERO);
        serverClock.sync();

        assertThat(serverClock.now()).isEqualTo(wallClock.instant());
        wallClock.advance(Duration.ofHours(-1));
        tick(Duration.ofMinutes(10));
        assertThat(serverClock.now()).isEqualTo(wallClock.instant());
        assertThat(serverCalls).hasValue(0);
    }

    @Test
    void aServerWithoutLocalTimeAnchorsOnTheLocalClockAtEachSync() {
        ServerClock serverClock = new ServerClock(wallClock, Optional::empty, ticker::get, SYNC);
        serverClock.sync();
        Instant local = wallClock.instant();

        wallClock.advance(Duration.ofHours(1));
        tick(Duration.ofSeconds(30));
        assertThat(serverClock.now()).as("between syncs only monotonic time counts").isEqualTo(local.plusSeconds(30));

        tick(SYNC);
        assertThat(serverClock.now()).as("the next sync adopts the stepped local clock").isEqualTo(wallClock.instant());
    }

    @Test
    void aResyncSlightlyBehindTheLastReturnedTimeHoldsStillUntilItCatchesUp() {
        ServerClock serverClock = syncedClock(SYNC);
        tick(SYNC.minusMillis(1));
        Instant last = serverClock.now();
        assertThat(last).isEqualTo(SERVER_START.plus(SYNC).minusMillis(1));
        stepServerClock(Duration.ofMillis(-300));

        tick(Duration.ofMillis(2)); // the re-sync is due: the server now reads 298 ms behind the last answer
        assertThat(serverClock.now()).isEqualTo(last);
        tick(Duration.ofMillis(100));
        assertThat(serverClock.now()).isEqualTo(last);
        tick(Duration.ofMillis(300));
        assertThat(serverClock.now()).isEqualTo(last.plusMillis(102));
        assertThat(serverCalls).hasValue(2);
    }

    @Test
    void aServerClockSteppedBackFurtherThanTheHoldLimitIsFollowed() {
        ServerClock serverClock = syncedClock(SYNC);
        tick(SYNC.minusMillis(1));
        Instant last = serverClock.now();
        // Holding still for this long would make this host see leases expire early.
        stepServerClock(ServerClock.HOLD_LIMIT.plusSeconds(4).negated());

        tick(Duration.ofMillis(2));

        assertThat(serverClock.now()).isEqualTo(last.plusMillis(2).minus(ServerClock.HOLD_LIMIT).minusSeconds(4));
    }

    @Test
    void aHugeSyncIntervalNeverOverflows() {
        ServerClock serverClock = syncedClock(Duration.ofSeconds(Long.MAX_VALUE));

        ticker.set(Long.MAX_VALUE);
        Instant later = serverClock.now();
        ticker.set(Long.MIN_VALUE); // the monotonic counter wraps around; differences stay right
        Instant wrapped = serverClock.now();

        assertThat(later).isEqualTo(SERVER_START.plusNanos(Long.MAX_VALUE - 1_000_000_000_000L));
        assertThat(wrapped).isEqualTo(later.plusNanos(1));
        assertThat(serverCalls).hasValue(1);
    }

    @Test
    void aServerClockSteppedBackByExactlyTheHoldLimitIsHeldStill() {
        ServerClock serverClock = syncedClock(SYNC);
        tick(SYNC.minusMillis(1));
        Instant last = serverClock.now();
        stepServerClock(ServerClock.HOLD_LIMIT.plusMillis(2).negated());

        tick(Duration.ofMillis(2)); // the re-sync reads exactly HOLD_LIMIT behind the last answer

        assertThat(serverClock.now()).isEqualTo(last);
        assertThat(serverCalls).hasValue(2);
    }

    @Test
    void aLocalClockAtTheEndOfTimeSaturatesInsteadOfFailingTheSync() {
        ManualClock endOfTime = new ManualClock(Instant.MAX);
        roundTrip = Duration.ofNanos(2);
        ServerClock serverClock = new ServerClock(endOfTime, this::askServer, ticker::get, SYNC);

        serverClock.sync();

        assertThat(serverClock.offset()).isEqualTo(Duration.between(Instant.MAX, SERVER_START.plusNanos(1)));
    }
}
