package io.docjobs.daemon.console;

/**
 * One page or API call of the console: a method, a path pattern and what answers it. Adding one
 * to the console is one class implementing this, listed in {@link Console}, plus (for a page) one
 * template. {@code POST} endpoints are write actions: the {@link RequestGuard} lets them through
 * only with the configured token.
 */
public interface Endpoint {

    /** {@return {@code GET} or {@code POST}} */
    String method();

    /** {@return the path, with {@code {name}} for a segment read by {@link Request#pathParam}} */
    String path();

    /** {@return the query parameters this endpoint reads; any other is a 400, so a mistyped filter is not ignored} */
    default java.util.Set<String> parameters() {
        return java.util.Set.of();
    }

    /**
     * Answers one request; bad input is an {@link HttpError}.
     *
     * @param request the request, its path parameters matched
     * @return the response
     */
    Response handle(Request request);
}
