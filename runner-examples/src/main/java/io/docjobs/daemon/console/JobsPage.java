package io.docjobs.daemon.console;

import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * {@code GET /jobs?id=&state=&type=&order=&dedupKey=&after=&limit=}: find a job by id (redirects to
 * {@link JobPage}), or list jobs by state, type and dedup key, newest first or in claim order, a
 * page at a time (see {@link JobFilter}).
 */
final class JobsPage implements Endpoint {
    private static final Set<String> PARAMETERS = Stream.concat(JobFilter.PARAMETERS.stream(), Stream.of("id"))
            .collect(Collectors.toUnmodifiableSet());

    private final ConsoleContext context;

    JobsPage(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/jobs";
    }

    @Override
    public Set<String> parameters() {
        return PARAMETERS;
    }

    @Override
    public Response handle(Request request) {
        String id = request.param("id");
        if (id != null) {
            return Response.redirect("/jobs/" + JobLookup.checked(id));
        }
        JobFilter filter = JobFilter.of(request);
        io.docjobs.JobPage page = context.queue().jobs(filter.query());
        return context.pages().render("jobs", new Views.Jobs(context.pages().frame("Jobs", "jobs"),
                filter.state() == null ? "" : filter.state().stored(), orEmpty(filter.type()),
                filter.claim() ? "claim" : "newest", orEmpty(filter.dedupKey()), page.entries(),
                filter.after() == null ? null : filter.link(null), page.next() == null ? null : filter.link(page.next())));
    }

    private static String orEmpty(@Nullable String text) {
        return text == null ? "" : text;
    }
}
