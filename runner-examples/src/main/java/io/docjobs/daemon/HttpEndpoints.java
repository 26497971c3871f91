package io.docjobs.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.docjobs.JobQueue;
import io.docjobs.Supervisor;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /metrics} (Prometheus text format) and {@code GET /health} (200 when the supervisor
 * runs and the database answers, 503 otherwise, with a small JSON body saying which), on the JDK's
 * built-in HTTP server. {@link #bind} takes the port before anything else starts; {@link #serve}
 * answers once the supervisor runs.
 */
final class HttpEndpoints implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpEndpoints.class);

    private final HttpServer server;
    private final String host;
    private ExecutorService executor;

    private HttpEndpoints(HttpServer server, String host) {
        this.server = server;
        this.host = host;
    }

    /**
     * Binds {@code host:port} (0 = any free port) without serving yet.
     *
     * @throws ConfigException naming http.port or http.host if they cannot be used
     */
    static HttpEndpoints bind(String host, int port) {
        try {
            return new HttpEndpoints(HttpServer.create(new InetSocketAddress(host, port), 16), host);
        } catch (BindException e) {
            throw new ConfigException("http.port", List.of("http.port " + port + " on " + host + " is in use or not"
                    + " allowed (" + e.getMessage() + "); set http.port or DOCJOBS_HTTP_PORT to a free port"));
        } catch (IOException e) {
            throw new ConfigException("http.host", List.of("http.host \"" + host + "\" cannot be used: " + e));
        }
    }

    /** Starts answering {@code /metrics} and {@code /health}; once. */
    void serve(PrometheusMeterRegistry registry, Supervisor supervisor, JobQueue queue) {
        server.createContext("/metrics", exchange -> {
            if (allowGet(exchange)) {
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            }
        });
        server.createContext("/health", exchange -> {
            if (!allowGet(exchange)) {
                return;
            }
            Supervisor.State state = supervisor.state();
            String database;
            try {
                queue.ping();
                database = "UP";
            } catch (RuntimeException e) {
                database = "DOWN";
            }
            // A database that answers pings while every claim fails (e.g. a malformed entry, a
            // missing privilege) is no healthier than one that is down.
            String claims = supervisor.claimsSucceeding() ? "UP" : "FAILING";
            boolean healthy = state == Supervisor.State.RUNNING && database.equals("UP") && claims.equals("UP");
            String body = "{\"status\":\"" + (healthy ? "UP" : "DOWN") + "\",\"supervisor\":\"" + state
                    + "\",\"database\":\"" + database + "\",\"claims\":\"" + claims + "\",\"inFlight\":"
                    + supervisor.inFlight() + "}\n";
            respond(exchange, healthy ? 200 : 503, "application/json", body);
        });
        executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "docjobs-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.start();
        log.info("metrics at http://{}:{}/metrics, health at http://{}:{}/health", host, port(), host, port());
    }

    int port() {
        return server.getAddress().getPort();
    }

    private static boolean allowGet(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("GET") || exchange.getRequestMethod().equals("HEAD")) {
            return true;
        }
        respond(exchange, 405, "text/plain", "only GET is supported\n");
        return false;
    }

    private static void respond(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
        exchange.close();
    }

    /** Releases the port, serving or not. */
    @Override
    public void close() {
        server.stop(0);
        if (executor != null) {
            executor.shutdownNow();
        }
    }
}
