package io.docjobs.daemon.console;

import java.util.Set;

/**
 * {@code GET /jobs?id=&type=}: find a job by id (redirects to {@link JobPage}) and the next jobs to
 * be claimed. The full job list comes with the job-listing API.
 */
final class JobsPage implements Endpoint {
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
        return Set.of("id", "type");
    }

    @Override
    public Response handle(Request request) {
        String id = request.param("id");
        if (id != null) {
            return Response.redirect("/jobs/" + JobLookup.checked(id));
        }
        String type = request.typeParam();
        return context.pages().render("jobs", new Views.Jobs(context.pages().frame("Jobs", "jobs"),
                type == null ? "" : type, context.queue().peek(type, NextJobsApi.DEFAULT_LIMIT)));
    }
}
