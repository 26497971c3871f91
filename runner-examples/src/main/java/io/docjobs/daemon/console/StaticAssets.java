package io.docjobs.daemon.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * {@code GET /static/{name}}: the console's script, style sheet and icon, and uPlot from its WebJar,
 * read from the class path once; only the files listed here, so no path reaches anything else.
 */
final class StaticAssets implements Endpoint {
    private static final String OWN = "io/docjobs/daemon/console/static/";
    private final Map<String, Response> files;

    StaticAssets() {
        String uplot = "META-INF/resources/webjars/uplot/" + webJarVersion("org.webjars.npm", "uplot") + "/dist/";
        files = Map.of(
                "console.js", load(OWN + "console.js", "text/javascript; charset=utf-8"),
                "console.css", load(OWN + "console.css", "text/css; charset=utf-8"),
                "favicon.svg", load(OWN + "favicon.svg", "image/svg+xml"),
                "uPlot.iife.min.js", load(uplot + "uPlot.iife.min.js", "text/javascript; charset=utf-8"),
                "uPlot.min.css", load(uplot + "uPlot.min.css", "text/css; charset=utf-8"));
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public String path() {
        return "/static/{name}";
    }

    @Override
    public Response handle(Request request) {
        Response file = files.get(request.pathParam("name"));
        if (file == null) {
            throw HttpError.notFound("no static file " + request.pathParam("name"), "the console serves "
                    + String.join(", ", new java.util.TreeSet<>(files.keySet())));
        }
        return file;
    }

    /** The version of a WebJar on the class path, from its Maven metadata, so a version bump needs no code change. */
    static String webJarVersion(String group, String artifact) {
        Properties properties = new Properties();
        try (InputStream in = resource("META-INF/maven/" + group + "/" + artifact + "/pom.properties")) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.getProperty("version");
    }

    private static Response load(String path, String contentType) {
        try (InputStream in = resource(path)) {
            return new Response(200, contentType, in.readAllBytes(), Map.of("Cache-Control", "max-age=300"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static InputStream resource(String path) {
        InputStream in = StaticAssets.class.getClassLoader().getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException("the console's resource " + path + " is missing from the class path;"
                    + " the jar is incomplete");
        }
        return in;
    }
}
