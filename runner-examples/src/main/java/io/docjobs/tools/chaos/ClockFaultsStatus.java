package io.docjobs.tools.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One line for the report on what the run did to the daemons' clocks, or why it did nothing. */
final class ClockFaultsStatus {
    private ClockFaultsStatus() {
    }

    static String describe(ChaosSettings settings, Optional<ClockFaults> clocks) {
        if (!settings.clockFaults()) {
            return "true clocks (--no-clock-faults)";
        }
        if (clocks.isEmpty()) {
            return "NOT SKEWED: libfaketime was not found (looked in " + ClockFaults.LIBRARY_PLACES + " and $"
                    + ClockFaults.LIBRARY_ENV + "); install the Debian package libfaketime to test skewed clocks";
        }
        List<String> slots = new ArrayList<>();
        for (int slot = 1; slot <= settings.daemons(); slot++) {
            slots.add("slot " + slot + (ClockFaults.jumps(slot) ? " jumping "
                    + NetworkChaos.JUMPS.stream().map(j -> ClockFaults.faketime(j.offset())).toList()
                    : " " + ClockFaults.faketime(ClockFaults.fixedOffset(slot))));
        }
        return String.join(", ", slots) + " (libfaketime " + clocks.get().library() + ")";
    }
}
