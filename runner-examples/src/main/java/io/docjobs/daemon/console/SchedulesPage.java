package io.docjobs.daemon.console;

/** {@code GET /schedules}: the queue's schedules, their state and next and last times. */
final class SchedulesPage implements Endpoint {
    private final ConsoleContext context;

    SchedulesPage(ConsoleContext context) {
        this.context = context;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/schedules";
    }

    @Override
    public Response handle(Request request) {
        return context.pages().render("schedules", new Views.ScheduleList(context.pages().frame("Schedules", "schedules"),
                context.queue().schedules().list()));
    }
}
