package io.docjobs.daemon.console;

/**
 * {@code GET /daemons}: every supervisor in the registry: id, name, host, version, types, workers,
 * in flight, started, last seen, status; a GONE one highlighted with the leases it still holds.
 */
final class DaemonsPage implements Endpoint {
    private final ConsoleContext context;

    DaemonsPage(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/daemons";
    }

    @Override
    public Response handle(Request request) {
        return context.pages().render("daemons", new Views.Daemons(context.pages().frame("Daemons", "daemons"),
                context.supervisors().get()));
    }
}
