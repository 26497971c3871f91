package io.docjobs.daemon.console;

import io.docjobs.JobQueue;
import io.docjobs.QueueStats;
import io.docjobs.SupervisorInfo;
import java.util.List;

/**
 * What the endpoints share: the queue (its admin side and schedules), the cached counts and
 * supervisor registry, the chart series and the page renderer.
 *
 * @param queue       the queue the daemon works
 * @param stats       {@link io.docjobs.JobAdmin#stats()}, cached for a short while
 * @param supervisors {@link io.docjobs.JobAdmin#supervisors()}, cached for a short while
 * @param series      this daemon's throughput, failures and queue wait, from its meters
 * @param fleet       the fleet's throughput, failures and queue wait, from the registry
 * @param pages       the template renderer
 * @param writes      whether write actions are enabled
 */
record ConsoleContext(JobQueue queue, Cached<QueueStats> stats, Cached<List<SupervisorInfo>> supervisors,
        MetricSeries series, FleetSeries fleet, Pages pages, boolean writes) {
}
