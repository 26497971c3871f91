package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What each daemon slot gets: its own proxy for the queue, the direct line for the evidence. */
class DaemonSlotsTest {
    private static final int DATABASE_PORT = 27999;

    @Test
    void eachSlotTalksToTheQueueThroughItsOwnProxyAndRecordsPastIt() throws Exception {
        try (DaemonSlots slots = DaemonSlots.create(2, DATABASE_PORT, true, Optional.empty())) {
            Map<String, String> first = slots.environment(1);
            Map<String, String> second = slots.environment(2);

            int proxy1 = slots.proxy(1).orElseThrow().port();
            int proxy2 = slots.proxy(2).orElseThrow().port();
            assertThat(proxy1).isNotEqualTo(proxy2).isNotEqualTo(DATABASE_PORT);
            assertThat(first).containsEntry(ChaosHandler.CONNECTION_ENV,
                    "mongodb://127.0.0.1:" + proxy1 + DaemonSlots.DRIVER_OPTIONS);
            assertThat(second).containsEntry(ChaosHandler.CONNECTION_ENV,
                    "mongodb://127.0.0.1:" + proxy2 + DaemonSlots.DRIVER_OPTIONS);
            assertThat(first).containsEntry(ChaosHandler.EFFECTS_CONNECTION_ENV, "mongodb://127.0.0.1:" + DATABASE_PORT)
                    .doesNotContainKey("LD_PRELOAD");
        }
    }

    @Test
    void withoutNetworkFaultsTheQueueIsReachedDirectly() throws Exception {
        try (DaemonSlots slots = DaemonSlots.create(1, DATABASE_PORT, false, Optional.empty())) {
            assertThat(slots.proxy(1)).isEmpty();
            assertThat(slots.environment(1)).containsEntry(ChaosHandler.CONNECTION_ENV,
                    "mongodb://127.0.0.1:" + DATABASE_PORT + DaemonSlots.DRIVER_OPTIONS);
        }
    }
}
