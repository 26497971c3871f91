package io.docjobs.daemon.console;

import com.sun.net.httpserver.HttpHandler;
import io.docjobs.AdminResult;
import io.docjobs.JobQueue;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The web console the daemon serves under {@code /}: pages for people and a JSON API under
 * {@code /api/} for the pages and for scripts, over the queue's admin API. Reads are open to
 * whoever reaches the port (bound to 127.0.0.1 by default); writes need the configured token
 * (see {@link RequestGuard}). It shows no connection string or secret.
 *
 * <p>Its cost to the daemon is bounded: the counts and the supervisor registry are each read at
 * most once per {@link Cached#TTL} however many pages are open; this daemon's charts come from the
 * in-process meters and the fleet's from those registry reads; requests share the HTTP server's
 * threads with {@code /metrics}.
 */
public final class Console implements AutoCloseable {
    private final MetricSeries series;
    private final Router router;

    private Console(MetricSeries series, Router router) {
        this.series = series;
        this.router = router;
    }

    /**
     * Builds the console and starts sampling the meters for its charts.
     *
     * @param queue        the daemon's queue
     * @param registry     the daemon's meters (the charts read {@code docjobs.jobs.finished} and {@code docjobs.queue.wait})
     * @param token        the write token; null or empty disables write actions
     * @param loopbackOnly whether the HTTP server is bound to a loopback address (then only loopback
     *                     {@code Host} headers are answered)
     * @return the console, sampling
     */
    public static Console start(JobQueue queue, MeterRegistry registry, @Nullable String token, boolean loopbackOnly) {
        RequestGuard guard = new RequestGuard(token, loopbackOnly);
        MetricSeries series = new MetricSeries(registry, System::nanoTime, System::currentTimeMillis);
        Pages pages = new Pages(guard.writesEnabled());
        FleetSeries fleet = new FleetSeries(System::currentTimeMillis);
        ConsoleContext context = new ConsoleContext(queue, new Cached<>(queue::stats, System::nanoTime),
                new Cached<>(() -> fleet.observe(queue.supervisors()), System::nanoTime), series, fleet, pages,
                guard.writesEnabled());
        // Listed in match order: a literal path before a pattern that would also match it.
        List<Endpoint> endpoints = List.of(
                new OverviewPage(context), new JobsPage(context), new JobPage(context), new DeadLettersPage(context),
                new SchedulesPage(context), new DaemonsPage(context), new StaticAssets(),
                new OverviewApi(context), new JobsApi(context), new NextJobsApi(context), new JobApi(context),
                new JobActionApi(context, AdminResult.Operation.CANCEL), new JobActionApi(context, AdminResult.Operation.DELETE),
                new JobActionApi(context, AdminResult.Operation.RUN_NOW),
                new JobActionApi(context, AdminResult.Operation.SET_PRIORITY), new DeadLettersApi(context),
                new RequeueAllApi(context), new PurgeApi(context), new RequeueApi(context), new SchedulesApi(context),
                new SupervisorsApi(context));
        series.start();
        return new Console(series, new Router(endpoints, guard, pages::error));
    }

    /** {@return the handler to mount at {@code /} of the daemon's HTTP server} */
    public HttpHandler handler() {
        return router;
    }

    /** Stops sampling. */
    @Override
    public void close() {
        series.close();
    }
}
