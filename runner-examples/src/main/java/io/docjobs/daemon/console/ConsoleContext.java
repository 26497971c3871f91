package io.docjobs.daemon.console;

import io.docjobs.JobQueue;

/**
 * What the endpoints share: the queue (its admin side and schedules), the cached counts, this
 * daemon's chart series and the page renderer.
 *
 * @param queue  the queue the daemon works
 * @param stats  {@link io.docjobs.JobAdmin#stats()}, cached for a short while
 * @param series this daemon's throughput, failures and queue wait
 * @param pages  the template renderer
 * @param writes whether write actions are enabled
 */
record ConsoleContext(JobQueue queue, StatsCache stats, MetricSeries series, Pages pages, boolean writes) {
}
