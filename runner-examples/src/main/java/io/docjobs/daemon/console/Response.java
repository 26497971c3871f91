package io.docjobs.daemon.console;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What an {@link Endpoint} answers: status, content type, body and extra headers. The
 * {@link Router} adds the security headers.
 *
 * @param status      the HTTP status
 * @param contentType the body's media type
 * @param body        the body
 * @param headers     further headers (caching, location)
 */
public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

    /**
     * Copies the headers.
     *
     * @param status      the HTTP status
     * @param contentType the body's media type
     * @param body        the body
     * @param headers     further headers
     */
    public Response {
        headers = Map.copyOf(headers);
    }

    /**
     * {@return a 200 JSON response}
     *
     * @param json the JSON text
     */
    public static Response json(String json) {
        return json(200, json);
    }

    /**
     * {@return a JSON response}
     *
     * @param status the HTTP status
     * @param json   the JSON text
     */
    public static Response json(int status, String json) {
        return new Response(status, "application/json; charset=utf-8", (json + "\n").getBytes(StandardCharsets.UTF_8),
                Map.of("Cache-Control", "no-store"));
    }

    /**
     * {@return a 200 HTML page}
     *
     * @param html the page
     */
    public static Response html(String html) {
        return html(200, html);
    }

    /**
     * {@return an HTML page}
     *
     * @param status the HTTP status
     * @param html   the page
     */
    public static Response html(int status, String html) {
        return new Response(status, "text/html; charset=utf-8", html.getBytes(StandardCharsets.UTF_8),
                Map.of("Cache-Control", "no-store"));
    }

    /**
     * {@return a 303 redirect}
     *
     * @param location the path to go to
     */
    public static Response redirect(String location) {
        return new Response(303, "text/plain; charset=utf-8", new byte[0], Map.of("Location", location));
    }
}
