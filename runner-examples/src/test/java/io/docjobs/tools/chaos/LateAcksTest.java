package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a daemon's log says of its acknowledgements, in the words the supervisor logs them. */
class LateAcksTest {
    private static final String ID = "6b0e4eaa462612fad8a930b9";

    @Test
    void readsRefusedUnwrittenAndDiscardedAcknowledgementsByJobAndAttempt() {
        Map<String, LateAcks.Fate> fates = LateAcks.parse(List.of(
                "2026-12-01 04:40:11,617 WARN  [w-1] io.docjobs.internal.Outcomes " + ID + " chaos.job 1 - job " + ID
                        + " (type \"chaos.job\", attempt 1) finished but its lease was lost (expired and claimed by"
                        + " another worker); the result is not acknowledged and the job may run again",
                "... WARN  [w-2] io.docjobs.internal.Outcomes - could not record the outcome of job " + ID.replace('6', '7')
                        + " (type \"chaos.job\", attempt 2): io.docjobs.DatabaseUnavailableException: doneAll failed",
                "... WARN  [keeper] io.docjobs.internal.Outcomes - job " + ID.replace('b', 'c') + " (type \"chaos.job\","
                        + " attempt 3) lost its lease (expired and claimed by another worker, or removed); interrupting",
                "... INFO  [main] io.docjobs.Supervisor - supervisor chaos-1 running"));

        assertThat(fates).containsOnly(
                Map.entry(LateAcks.key(ID, 1), LateAcks.Fate.REFUSED),
                Map.entry(LateAcks.key(ID.replace('6', '7'), 2), LateAcks.Fate.NOT_WRITTEN),
                Map.entry(LateAcks.key(ID.replace('b', 'c'), 3), LateAcks.Fate.LOST_WHILE_RUNNING));
    }
}
