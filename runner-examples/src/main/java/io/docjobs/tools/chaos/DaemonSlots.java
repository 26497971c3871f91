package io.docjobs.tools.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What each daemon slot of the run gets: its own {@link FaultyProxy} to the database (when the
 * network faults are on), the database's own address for the chaos handler's records, and its
 * clock ({@link ClockFaults}, when libfaketime is there).
 */
final class DaemonSlots implements Fleet.SlotSetup, AutoCloseable {
    /**
     * Driver settings the daemons get in their connection string. A monitor check every second:
     * the driver clears its pool of connections to a server only when a monitor check fails (a
     * time-out of an ordinary operation closes only its own connection), so this bounds how long
     * half-open pooled connections keep failing operations one time-out at a time.
     */
    static final String DRIVER_OPTIONS = "/?heartbeatFrequencyMS=1000";

    private final String directConnection;
    private final Map<Integer, FaultyProxy> proxies;
    private final Optional<ClockFaults> clocks;

    private DaemonSlots(String directConnection, Map<Integer, FaultyProxy> proxies, Optional<ClockFaults> clocks) {
        this.directConnection = directConnection;
        this.proxies = proxies;
        this.clocks = clocks;
    }

    /**
     * Slots 1 to {@code daemons} for the database on {@code databasePort}; with a proxy each if
     * {@code network}.
     */
    static DaemonSlots create(int daemons, int databasePort, boolean network, Optional<ClockFaults> clocks)
            throws IOException {
        Map<Integer, FaultyProxy> proxies = new TreeMap<>();
        if (network) {
            InetSocketAddress database = new InetSocketAddress(InetAddress.getLoopbackAddress(), databasePort);
            for (int slot = 1; slot <= daemons; slot++) {
                proxies.put(slot, FaultyProxy.start("slot-" + slot, database));
            }
        }
        return new DaemonSlots("mongodb://127.0.0.1:" + databasePort, proxies, clocks);
    }

    @Override
    public Map<String, String> environment(int slot) {
        Map<String, String> env = new HashMap<>();
        FaultyProxy proxy = proxies.get(slot);
        String queueConnection = proxy == null ? directConnection : "mongodb://127.0.0.1:" + proxy.port();
        env.put(ChaosHandler.CONNECTION_ENV, queueConnection + DRIVER_OPTIONS);
        env.put(ChaosHandler.EFFECTS_CONNECTION_ENV, directConnection);
        clocks.ifPresent(c -> env.putAll(c.environment(slot)));
        return env;
    }

    @Override
    public void started(int slot, String daemon, long pid) {
        clocks.ifPresent(c -> c.started(slot, daemon, pid));
    }

    /** The proxy of {@code slot}, if the network faults are on. */
    Optional<FaultyProxy> proxy(int slot) {
        return Optional.ofNullable(proxies.get(slot));
    }

    Optional<ClockFaults> clocks() {
        return clocks;
    }

    @Override
    public void close() {
        proxies.values().forEach(FaultyProxy::close);
    }
}
