package io.docjobs.daemon.console;

import io.docjobs.JobEntry;

/** {@code GET /jobs/{id}}: one job: state, attempts, lease holder and deadline, last error, payload. */
final class JobPage implements Endpoint {
    private final ConsoleContext context;

    JobPage(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/jobs/{id}";
    }

    @Override
    public Response handle(Request request) {
        JobEntry entry = JobLookup.find(context, request.pathParam("id"));
        return context.pages().render("job", new Views.Job(context.pages().frame("Job " + entry.id(), "jobs"), entry,
                Payloads.of(entry.payload())));
    }
}
