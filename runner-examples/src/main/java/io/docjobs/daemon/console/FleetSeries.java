package io.docjobs.daemon.console;

import io.docjobs.SupervisorInfo;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The overview's fleet charts, from the supervisor registry: each ALIVE supervisor's rates over its
 * last registry interval (jobs succeeded per second; failed per second, meaning retried,
 * dead-lettered and timed out; mean queue wait), summed over the fleet, one point per registry read
 * the console makes. The console reads the registry only while someone watches the overview or the
 * daemons (at most once per {@link Cached#TTL}), so the series has gaps when nobody did. A supervisor's counts change
 * at its registry writes (every 10 s by default), so each rate is the one of its last interval.
 */
final class FleetSeries {
    private record Seen(Instant lastSeen, SupervisorInfo.Counts counts, double succeededPerSecond,
            double failedPerSecond, long waitMillis, long waits) {
    }

    private final LongSupplier epochMillis;
    private final ArrayDeque<MetricSeries.Point> points = new ArrayDeque<>();
    private Map<String, Seen> seen = new HashMap<>();

    FleetSeries(LongSupplier epochMillis) {
        this.epochMillis = epochMillis;
    }

    /**
     * Takes a point from one registry read.
     *
     * @param supervisors what {@link io.docjobs.JobAdmin#supervisors()} answered
     * @return {@code supervisors}, so that the read can pass through here on its way to the cache
     */
    synchronized List<SupervisorInfo> observe(List<SupervisorInfo> supervisors) {
        Map<String, Seen> next = new HashMap<>();
        double succeeded = 0;
        double failed = 0;
        long waitMillis = 0;
        long waits = 0;
        for (SupervisorInfo info : supervisors) {
            if (info.status() != SupervisorInfo.Status.ALIVE || info.lastSeen() == null) {
                continue;
            }
            Seen before = seen.get(info.id());
            Seen now = before == null ? new Seen(info.lastSeen(), info.counts(), 0, 0, 0, 0) : advance(before, info);
            next.put(info.id(), now);
            succeeded += now.succeededPerSecond();
            failed += now.failedPerSecond();
            waitMillis += now.waitMillis();
            waits += now.waits();
        }
        seen = next;
        points.addLast(new MetricSeries.Point(epochMillis.getAsLong(), succeeded, failed,
                waits > 0 ? (double) waitMillis / waits : -1));
        while (points.size() > MetricSeries.POINTS) {
            points.removeFirst();
        }
        return supervisors;
    }

    synchronized List<MetricSeries.Point> points() {
        return new ArrayList<>(points);
    }

    private static Seen advance(Seen before, SupervisorInfo info) {
        if (!info.lastSeen().isAfter(before.lastSeen())) {
            return before; // no write since: its last interval's rates still stand
        }
        SupervisorInfo.Counts from = before.counts();
        SupervisorInfo.Counts to = info.counts();
        if (to.succeeded() < from.succeeded() || failed(to) < failed(from) || to.queueWaitCount() < from.queueWaitCount()) {
            return new Seen(info.lastSeen(), to, 0, 0, 0, 0); // counts went back: a new baseline, no rate
        }
        double seconds = Duration.between(before.lastSeen(), info.lastSeen()).toNanos() / 1e9;
        return new Seen(info.lastSeen(), to, (to.succeeded() - from.succeeded()) / seconds,
                (failed(to) - failed(from)) / seconds, to.queueWaitMillis() - from.queueWaitMillis(),
                to.queueWaitCount() - from.queueWaitCount());
    }

    private static long failed(SupervisorInfo.Counts counts) {
        return counts.retried() + counts.deadLettered() + counts.timedOut();
    }
}
