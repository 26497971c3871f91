package io.docjobs.daemon.console;

/** {@code GET /}: counts per type and this daemon's live charts (the page polls {@link OverviewApi}). */
final class OverviewPage implements Endpoint {
    private final ConsoleContext context;

    OverviewPage(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/";
    }

    @Override
    public Response handle(Request request) {
        return context.pages().render("overview", new Views.Overview(context.pages().frame("Overview", "overview"),
                context.stats().get()));
    }
}
