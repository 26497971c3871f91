package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a daemon's log says of its acknowledgements, in the words the supervisor logs them. */
class DaemonLogTest {
    private static final String ID = "6b0e4eaa462612fad8a930b9";

    @Test
    void readsRefusedUnwrittenAndDiscardedAcknowledgementsByJobAndAttempt() {
        Map<String, DaemonLog.Fate> fates = DaemonLog.parse(List.of(
                "2026-12-01 04:40:11,617 WARN  [w-1] io.docjobs.internal.Outcomes " + ID + " chaos.job 1 - job " + ID
                        + " (type \"chaos.job\", attempt 1) finished but its lease was lost (expired and claimed by"
                        + " another worker); the result is not acknowledged and the job may run again",
                "... WARN  [w-2] io.docjobs.internal.Outcomes - could not record the outcome of job " + ID.replace('6', '7')
                        + " (type \"chaos.job\", attempt 2): io.docjobs.DatabaseUnavailableException: doneAll failed",
                "... WARN  [keeper] io.docjobs.internal.Outcomes - job " + ID.replace('b', 'c') + " (type \"chaos.job\","
                        + " attempt 3) lost its lease (expired and claimed by another worker, or removed); interrupting",
                "... INFO  [main] io.docjobs.Supervisor - supervisor chaos-1 running")).fates();

        assertThat(fates).containsOnly(
                Map.entry(DaemonLog.key(ID, 1), DaemonLog.Fate.REFUSED),
                Map.entry(DaemonLog.key(ID.replace('6', '7'), 2), DaemonLog.Fate.NOT_WRITTEN),
                Map.entry(DaemonLog.key(ID.replace('b', 'c'), 3), DaemonLog.Fate.LOST_WHILE_RUNNING));
    }

    @Test
    void claimsWorkAgainWhenTheLastWordOfTheClaimLoopIsItsRecovery() {
        String failed = "WARN [poller-1] io.docjobs.internal.Poller - claiming jobs from docjobs.jobs failed, backing off";
        String recovered = "INFO [poller-1] io.docjobs.internal.Poller - claiming jobs from docjobs.jobs works again after"
                + " 9500 ms and 12 failed calls";

        assertThat(DaemonLog.parse(List.of("INFO started")).claimsWorkAgain()).isTrue();
        assertThat(DaemonLog.parse(List.of(failed)).claimsWorkAgain()).isFalse();
        assertThat(DaemonLog.parse(List.of(failed, recovered)).claimsWorkAgain()).isTrue();
        assertThat(DaemonLog.parse(List.of(failed, recovered, failed)).claimsWorkAgain()).isFalse();
    }
}
