package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import io.docjobs.DatabaseUnavailableException;
import io.docjobs.JobQueue;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Readiness answers from the last background ping: never waits for the database, and turns off within its short window. */
class DatabaseReadinessTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicBoolean answers = new AtomicBoolean(true);
    private final JobQueue queue = (JobQueue) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {JobQueue.class}, (proxy, method, args) -> {
                if (method.getName().equals("ping")) {
                    if (!answers.get()) {
                        throw new DatabaseUnavailableException("database behind queue q does not answer: refused", null);
                    }
                    return null;
                }
                if (method.getName().equals("name")) {
                    return "docjobs.jobs";
                }
                throw new UnsupportedOperationException(method.getName());
            });

    private void advance(Duration duration) {
        nanos.addAndGet(duration.toNanos());
    }

    @Test
    void notReadyBeforeTheFirstGoodPing() {
        DatabaseReadiness readiness = DatabaseReadiness.manual(queue, nanos::get);
        assertThat(readiness.isUp()).isFalse();
        assertThat(readiness.lastGoodAgeMillis()).isEqualTo(-1);

        readiness.checkOnce();
        assertThat(readiness.isUp()).isTrue();
        assertThat(readiness.lastError()).isNull();
    }

    @Test
    void aDatabaseThatStopsAnsweringTurnsReadinessOffWithinItsWindowAndBackOnAtOnce() {
        DatabaseReadiness readiness = DatabaseReadiness.manual(queue, nanos::get);
        readiness.checkOnce();
        answers.set(false);

        advance(DatabaseReadiness.MAX_AGE.minusMillis(1));
        readiness.checkOnce();
        assertThat(readiness.isUp()).as("one failed ping inside the window").isTrue();
        assertThat(readiness.lastError()).contains("does not answer");

        advance(Duration.ofMillis(2));
        assertThat(readiness.isUp()).as("the last good ping is too old").isFalse();

        answers.set(true);
        readiness.checkOnce();
        assertThat(readiness.isUp()).isTrue();
        assertThat(readiness.lastGoodAgeMillis()).isZero();
    }

    /** A ping that hangs (no answer, no error) must not keep readiness on: the age alone turns it off. */
    @Test
    void aHangingPingTurnsReadinessOffByAgeAlone() {
        DatabaseReadiness readiness = DatabaseReadiness.manual(queue, nanos::get);
        readiness.checkOnce();

        advance(DatabaseReadiness.MAX_AGE.plusMillis(1)); // the background ping is still waiting

        assertThat(readiness.isUp()).isFalse();
    }
}
