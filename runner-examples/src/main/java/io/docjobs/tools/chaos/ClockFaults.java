package io.docjobs.tools.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Skewed and jumping wall clocks for the daemons, with libfaketime preloaded into their JVMs: every
 * wall-clock read of the process moves (the JVM, the MongoDB driver, the logs), not only what uses
 * an injected clock, and no test code runs in the daemon. The monotonic clock is left alone, as an
 * NTP step or a skewed host leaves it.
 *
 * <p>Slots take turns: slot 1 runs fast, slot 2 slow, slot 3 jumps (its offset is read from a file,
 * which {@link #jump} rewrites, at most a second old); slot 4 onwards again with half the offset, and
 * so on. A replacement daemon inherits its slot's clock.
 */
final class ClockFaults {
    /** Where the Debian/Ubuntu package {@code libfaketime} puts the library, by architecture. */
    static final List<Path> LIBRARY_PLACES = List.of(Path.of("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"),
            Path.of("/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1"), Path.of("/usr/lib/faketime/libfaketime.so.1"),
            Path.of("/usr/local/lib/faketime/libfaketime.so.1"));
    /** Names the library explicitly, for other places. */
    static final String LIBRARY_ENV = "CHAOS_LIBFAKETIME";
    /** The largest skew, of slots 1 and 2. */
    static final Duration MAX_SKEW = Duration.ofMinutes(2);

    private final Path library;
    private final Path jumpFile;
    private final FaultLog faults;
    private volatile Duration jumpOffset = Duration.ZERO;

    private ClockFaults(Path library, Path jumpFile, FaultLog faults) {
        this.library = library;
        this.jumpFile = jumpFile;
        this.faults = faults;
    }

    /**
     * Clock faults with the library found, or empty if it is not installed (the caller says so).
     */
    static Optional<ClockFaults> create(Path workDir, FaultLog faults) {
        return locate().map(library -> {
            ClockFaults clocks = new ClockFaults(library, workDir.resolve("clock-jump.faketime"), faults);
            clocks.writeJumpFile(Duration.ZERO);
            return clocks;
        });
    }

    /** The libfaketime library: {@value #LIBRARY_ENV} if set, else the first of {@link #LIBRARY_PLACES} there. */
    static Optional<Path> locate() {
        String named = System.getenv(LIBRARY_ENV);
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named)).filter(Files::isReadable);
        }
        return LIBRARY_PLACES.stream().filter(Files::isReadable).findFirst();
    }

    /** Whether {@code slot}'s clock jumps during the run (rather than being off by a fixed amount). */
    static boolean jumps(int slot) {
        return slot % 3 == 0;
    }

    /** The fixed offset of {@code slot}'s clock: +2 min, -2 min, (jumping), +1 min, -1 min, ... */
    static Duration fixedOffset(int slot) {
        Duration magnitude = MAX_SKEW.dividedBy((slot - 1) / 3 + 1);
        return slot % 3 == 1 ? magnitude : magnitude.negated();
    }

    /** The libfaketime variables for a daemon in {@code slot}. */
    Map<String, String> environment(int slot) {
        // The monotonic clock stays true, and so must the time-outs of waits on it: libfaketime's
        // "monotonic fix" for pthread_cond_timedwait makes every timed park of the JVM return at once
        // with a fast clock (threads spin) and wait far too long with a slow one.
        Map<String, String> common = Map.of("LD_PRELOAD", library.toString(), "FAKETIME_DONT_FAKE_MONOTONIC", "1",
                "FAKETIME_FORCE_MONOTONIC_FIX", "0");
        if (jumps(slot)) {
            // Re-read at most once a second: reading it on every clock read (FAKETIME_NO_CACHE) costs a
            // JVM so much system time that it does not even start on two cores.
            return merge(common, Map.of("FAKETIME_TIMESTAMP_FILE", jumpFile.toString(), "FAKETIME_CACHE_DURATION", "1"));
        }
        return merge(common, Map.of("FAKETIME", faketime(fixedOffset(slot))));
    }

    /** Records the clock of a daemon just started in {@code slot}. */
    void started(int slot, String daemon, long pid) {
        faults.clock(new FaultLog.ClockShift(daemon, pid, Instant.now(),
                jumps(slot) ? jumpOffset : fixedOffset(slot), false));
    }

    /**
     * Moves the clock of the jumping slots to {@code offset} from the true time, within a second
     * (their daemons re-read the file that often), and records the jump for {@code daemons}, the
     * daemons now in jumping slots.
     */
    void jump(Duration offset, Map<String, Long> daemons) {
        Instant at = Instant.now();
        writeJumpFile(offset);
        jumpOffset = offset;
        daemons.forEach((daemon, pid) -> faults.clock(new FaultLog.ClockShift(daemon, pid, at, offset, true)));
    }

    Path library() {
        return library;
    }

    /** libfaketime's relative format: {@code +120s}, {@code -120s}. */
    static String faketime(Duration offset) {
        return (offset.isNegative() ? "-" : "+") + offset.abs().toSeconds() + "s";
    }

    /** Written to a temporary file and moved over: a daemon must never read half a line. */
    private void writeJumpFile(Duration offset) {
        try {
            Path next = jumpFile.resolveSibling(jumpFile.getFileName() + ".next");
            Files.writeString(next, faketime(offset) + "\n");
            Files.move(next, jumpFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the faked clock of the jumping daemons to " + jumpFile, e);
        }
    }

    private static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
        Map<String, String> merged = new HashMap<>(a);
        merged.putAll(b);
        return Map.copyOf(merged);
    }
}
