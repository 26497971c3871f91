package io.docjobs.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemons' faked clocks: which slot gets which, and that a JVM under them still waits right. */
class ClockFaultsTest {
    @TempDir
    Path dir;

    private final FaultLog faults = new FaultLog();

    @Test
    void slotsTakeTurnsFastSlowJumpingWithSmallerOffsetsFurtherOn() {
        assertThat(ClockFaults.fixedOffset(1)).isEqualTo(Duration.ofMinutes(2));
        assertThat(ClockFaults.fixedOffset(2)).isEqualTo(Duration.ofMinutes(-2));
        assertThat(ClockFaults.jumps(3)).isTrue();
        assertThat(ClockFaults.jumps(1) || ClockFaults.jumps(2) || ClockFaults.jumps(4)).isFalse();
        assertThat(ClockFaults.fixedOffset(4)).isEqualTo(Duration.ofMinutes(1));
        assertThat(ClockFaults.fixedOffset(5)).isEqualTo(Duration.ofMinutes(-1));
        assertThat(ClockFaults.faketime(Duration.ofSeconds(-100))).isEqualTo("-100s");
        assertThat(ClockFaults.faketime(Duration.ZERO)).isEqualTo("+0s");
    }

    private ClockFaults clocks() {
        Optional<ClockFaults> clocks = ClockFaults.create(dir, faults);
        assumeTrue(clocks.isPresent(), "libfaketime is not installed (Debian package libfaketime)");
        return clocks.get();
    }

    @Test
    void aJumpRewritesTheFileTheJumpingDaemonsReadAndIsRecordedForEach() throws Exception {
        ClockFaults clocks = clocks();
        clocks.started(3, "chaos-3", 12);

        clocks.jump(Duration.ofSeconds(100), Map.of("chaos-3", 12L));

        assertThat(clocks.environment(3)).containsKey("FAKETIME_TIMESTAMP_FILE").doesNotContainKey("FAKETIME");
        assertThat(Files.readString(Path.of(clocks.environment(3).get("FAKETIME_TIMESTAMP_FILE")))).isEqualTo("+100s\n");
        assertThat(faults.clocks()).extracting(FaultLog.ClockShift::offset, FaultLog.ClockShift::jump)
                .containsExactly(tuple(Duration.ZERO, false), tuple(Duration.ofSeconds(100), true));
    }

    /**
     * With libfaketime's "monotonic fix" on (its default), every timed park of a JVM whose clock runs
     * fast returned at once: the daemons' threads spun and a short chaos run crawled at a job a second.
     */
    @Test
    void aJvmUnderAFastClockIsTwoMinutesOffButItsTimedWaitsLastAsLongAsAsked() throws Exception {
        ClockFaults clocks = clocks();
        Path probe = Files.writeString(dir.resolve("Probe.java"), """
                public class Probe {
                    public static void main(String[] args) {
                        long wall = System.currentTimeMillis();
                        long start = System.nanoTime();
                        for (int i = 0; i < 20; i++) {
                            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000L);
                        }
                        System.out.println(wall + " " + (System.nanoTime() - start) / 1_000_000);
                    }
                }
                """);
        ProcessBuilder builder = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                probe.toString()).redirectErrorStream(true);
        builder.environment().putAll(clocks.environment(1));
        long before = System.currentTimeMillis();
        Process process = builder.start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<String> words = List.of(new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim()
                .split("\\s+"));

        assertThat(process.exitValue()).as("output %s", words).isZero();
        long skew = Long.parseLong(words.get(0)) - before;
        assertThat(skew).as("the child's wall clock ahead of ours, ms").isBetween(110_000L, 180_000L);
        assertThat(Long.parseLong(words.get(1))).as("20 parks of 10 ms, ms").isGreaterThanOrEqualTo(190L);
    }
}
