package io.docjobs.daemon.console;

import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;

/**
 * Renders the page templates of {@code src/main/jte}, precompiled at build time, so rendering
 * needs no compiler at run time and a template error fails the build.
 */
final class Pages {
    private final TemplateEngine engine = TemplateEngine.createPrecompiled(ContentType.Html);
    private final boolean writes;

    Pages(boolean writes) {
        this.writes = writes;
    }

    /** The frame of a page titled {@code title}, with {@code active} marked in the navigation. */
    Views.Frame frame(String title, String active) {
        return new Views.Frame(title, active, writes);
    }

    /**
     * Renders {@code template} ({@code name.jte}) with its one parameter.
     *
     * @param template the template's name without {@code .jte}
     * @param view     the template's parameter
     */
    Response render(String template, Object view) {
        StringOutput output = new StringOutput();
        engine.render(template + ".jte", view, output);
        return Response.html(output.toString());
    }

    String error(HttpError error) {
        StringOutput output = new StringOutput();
        engine.render("error.jte", new Views.Error(frame("Error " + error.status(), ""), error.status(),
                error.getMessage(), error.hint()), output);
        return output.toString();
    }
}
