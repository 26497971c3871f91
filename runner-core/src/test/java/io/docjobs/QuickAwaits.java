package io.docjobs;

import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.pollinterval.IterativePollInterval;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Awaitility defaults for every test class (registered through {@code META-INF/services} and
 * {@code junit-platform.properties}): the first check at once, then checks 2 ms apart growing to
 * 50 ms. Awaitility's own defaults wait 100 ms before the first check and between checks, so each
 * {@code await()} cost at least 100 ms even when the condition already held; with about 120
 * awaits, and the mutation run repeating each covering test per mutant, that was minutes of sleep.
 * A test that needs another pace says so in its own {@code await()}. runner-examples' tests get the
 * same defaults: both files come with runner-core's test-jar on their class path.
 */
public final class QuickAwaits implements BeforeAllCallback {
    private static final Duration FIRST_INTERVAL = Duration.ofMillis(2);
    private static final Duration LONGEST_INTERVAL = Duration.ofMillis(50);

    @Override
    public void beforeAll(ExtensionContext context) {
        Awaitility.setDefaultPollDelay(Duration.ZERO);
        Awaitility.setDefaultPollInterval(new IterativePollInterval(
                previous -> min(previous.multipliedBy(2), LONGEST_INTERVAL), FIRST_INTERVAL));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
