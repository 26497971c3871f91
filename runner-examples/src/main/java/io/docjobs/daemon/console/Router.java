package io.docjobs.daemon.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.docjobs.DatabaseUnavailableException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dispatches the console's requests to its {@link Endpoint}s by method and path (the first whose
 * pattern matches), after the {@link RequestGuard}; turns every failure into a clear 4xx or 5xx:
 * JSON {@code {"error", "hint"}} under {@code /api/}, an error page elsewhere.
 */
final class Router implements HttpHandler {
    private static final Logger log = LoggerFactory.getLogger(Router.class);

    private final List<Endpoint> endpoints;
    private final RequestGuard guard;
    private final Function<HttpError, String> errorPage;
    /** Requests in the console at once, running or waiting for {@link #permit}; keep below the HTTP server's threads. */
    static final int ADMITTED = 2;
    private final Semaphore admitted = new Semaphore(ADMITTED);
    private final Semaphore permit = new Semaphore(1, true);

    Router(List<Endpoint> endpoints, RequestGuard guard, Function<HttpError, String> errorPage) {
        this.endpoints = List.copyOf(endpoints);
        this.guard = guard;
        this.errorPage = errorPage;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        Response response;
        try {
            response = dispatch(exchange, method, path);
        } catch (HttpError e) {
            response = error(path, e);
        } catch (DatabaseUnavailableException e) {
            response = error(path, new HttpError(503, "the database did not answer: " + e.getMessage(),
                    "check the database; the console answers again once it does"));
        } catch (IllegalArgumentException e) {
            // The queue's own argument checks (a cursor that is no cursor, an id that is no id) name the value and rule.
            response = error(path, HttpError.badRequest(e.getMessage(), "correct the value named"));
        } catch (RuntimeException e) {
            log.error("console: {} {} failed", method, path, e);
            response = error(path, new HttpError(500, "the console failed: " + e.getClass().getSimpleName(),
                    "see the daemon's log"));
        }
        write(exchange, response);
    }

    private Response dispatch(HttpExchange exchange, String method, String path) {
        String effective = method.equals("HEAD") ? "GET" : method;
        TreeSet<String> allowed = new TreeSet<>();
        for (Endpoint endpoint : endpoints) {
            Map<String, String> params = match(endpoint.path(), path);
            if (params == null) {
                continue;
            }
            if (!endpoint.method().equals(effective)) {
                allowed.add(endpoint.method());
                continue;
            }
            guard.check(effective, path, exchange.getRequestHeaders());
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            for (String name : query.keySet()) {
                if (!endpoint.parameters().contains(name)) {
                    throw HttpError.badRequest("unknown parameter \"" + name + "\" for " + endpoint.path(),
                            endpoint.parameters().isEmpty() ? "it takes no parameters"
                                    : "it takes " + String.join(", ", new TreeSet<>(endpoint.parameters())));
                }
            }
            String by = effective.equals("POST")
                    ? Operator.of(exchange.getRequestHeaders(), exchange.getRemoteAddress()) : null;
            return serialized(() -> endpoint.handle(new Request(effective, path, params, query, by)));
        }
        if (!allowed.isEmpty()) {
            throw new HttpError(405, method + " is not supported on " + path, "use " + String.join(" or ", allowed)
                    + (allowed.contains("POST") ? " (write actions are POST only)" : ""));
        }
        throw HttpError.notFound("nothing at " + path, path.startsWith("/api/") ? "the API is /api/overview,"
                + " /api/jobs, /api/jobs/{id}, /api/jobs/next, /api/dead-letters, /api/schedules, /api/supervisors"
                + " (README: Web console)"
                : "start at /");
    }

    /**
     * Runs one endpoint at a time: each may read the database, and however many browsers and
     * scripts call the console, it then competes with the workers' claims with one query at most.
     * At most {@link #ADMITTED} requests wait or run here; more are answered 503 at once, so the
     * console never takes every thread of the HTTP server from {@code /metrics} and the health probes.
     */
    private Response serialized(Supplier<Response> call) {
        if (!admitted.tryAcquire()) {
            throw new HttpError(503, "the console is busy: " + ADMITTED + " requests are being answered",
                    "retry in a moment (the console answers one request at a time, to spare the database)");
        }
        try {
            permit.acquire();
            try {
                return call.get();
            } finally {
                permit.release();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpError(503, "the console is shutting down", "try again once the daemon is back");
        } finally {
            admitted.release();
        }
    }

    /** The path parameters if {@code pattern} matches {@code path}, else null. */
    static Map<String, String> match(String pattern, String path) {
        String[] want = pattern.split("/", -1);
        String[] got = path.split("/", -1);
        if (want.length != got.length) {
            return null;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < want.length; i++) {
            if (want[i].startsWith("{") && want[i].endsWith("}")) {
                if (got[i].isEmpty()) {
                    return null;
                }
                params.put(want[i].substring(1, want[i].length() - 1), got[i]);
            } else if (!want[i].equals(got[i])) {
                return null;
            }
        }
        return params;
    }

    static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return query;
        }
        for (String pair : raw.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.putIfAbsent(name, value);
            } catch (IllegalArgumentException e) {
                throw HttpError.badRequest("the query string is not URL-encoded: " + pair, "encode the parameters");
            }
        }
        return query;
    }

    private Response error(String path, HttpError error) {
        if (error.status() >= 500) {
            log.warn("console: {} answered {}: {}", path, error.status(), error.getMessage());
        }
        if (path.startsWith("/api/")) {
            return Json.error(error);
        }
        return Response.html(error.status(), errorPage.apply(error));
    }

    private static void write(HttpExchange exchange, Response response) throws IOException {
        SecurityHeaders.apply(exchange.getResponseHeaders());
        exchange.getResponseHeaders().set("Content-Type", response.contentType());
        response.headers().forEach(exchange.getResponseHeaders()::set);
        if (response.status() == 401) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"docjobs console\"");
        }
        boolean head = exchange.getRequestMethod().equals("HEAD");
        byte[] body = response.body();
        exchange.sendResponseHeaders(response.status(), head || body.length == 0 ? -1 : body.length);
        if (!head && body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
        exchange.close();
    }
}
