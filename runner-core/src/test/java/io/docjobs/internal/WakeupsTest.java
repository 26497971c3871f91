package io.docjobs.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class WakeupsTest {
    private final Wakeups wakeups = new Wakeups();

    private Thread waiter(Wakeups.Seen seen, boolean onWork, boolean onCapacity) {
        Thread thread = new Thread(() -> {
            try {
                wakeups.await(seen, onWork, onCapacity, TimeUnit.SECONDS.toNanos(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        thread.start();
        return thread;
    }

    @Test
    void aWakeUpSentBeforeTheWaitIsNotLost() throws Exception {
        Wakeups.Seen seen = wakeups.seen();
        wakeups.work();

        wakeups.await(seen, true, false, TimeUnit.SECONDS.toNanos(30)); // returns at once
    }

    @Test
    void aWaiterWakesOnlyForWhatItWaitsFor() throws Exception {
        Thread capacityWaiter = waiter(wakeups.seen(), false, true);

        wakeups.work();
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(1)).until(capacityWaiter::isAlive);

        wakeups.capacity();
        capacityWaiter.join(5_000);
        assertThat(capacityWaiter.isAlive()).isFalse();
    }

    /** Review finding: a poller backing off on its timer alone ignored shutdown for up to the back-off cap. */
    @Test
    void closingWakesEveryWaiterAndEndsEveryLaterWait() throws Exception {
        Thread timerOnly = waiter(wakeups.seen(), false, false);

        wakeups.close();
        timerOnly.join(5_000);

        assertThat(timerOnly.isAlive()).isFalse();
        wakeups.await(wakeups.seen(), false, false, TimeUnit.SECONDS.toNanos(30)); // returns at once
    }
}
