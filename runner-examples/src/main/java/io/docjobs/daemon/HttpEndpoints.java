package io.docjobs.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.docjobs.JobQueue;
import io.docjobs.Supervisor;
import io.docjobs.daemon.console.Console;
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
 * {@code GET /metrics} (Prometheus text format) and the health probes, on the JDK's built-in HTTP
 * server, in the shape Kubernetes and Spring Boot users know: {@code /health/liveness} (the
 * supervisor's loops are alive; no database call, so an outage restarts nothing),
 * {@code /health/readiness} (the database answered a background ping within the last few seconds
 * and claims work), and {@code /health} (both). 200 when UP, 503 when DOWN, with a small JSON body.
 * {@link #bind} takes the port before anything else starts; {@link #serve} answers once the
 * supervisor runs.
 */
final class HttpEndpoints implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpEndpoints.class);

    private final HttpServer server;
    private final String host;
    private ExecutorService executor;
    private DatabaseReadiness database;
    private Console console;

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

    /**
     * Starts answering {@code /metrics}, the health probes and, unless {@code console} is null, the
     * web console under {@code /}; once.
     */
    void serve(PrometheusMeterRegistry registry, Supervisor supervisor, JobQueue queue, DaemonConfig.Console console) {
        server.createContext("/metrics", exchange -> {
            if (allowGet(exchange)) {
                respond(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            }
        });
        DatabaseReadiness database = DatabaseReadiness.start(queue);
        this.database = database;
        server.createContext("/health/liveness", exchange -> {
            if (allowGet(exchange)) {
                boolean live = supervisor.isLive();
                respond(exchange, live ? 200 : 503, "application/json", "{\"status\":\"" + upDown(live) + "\"}\n");
            }
        });
        server.createContext("/health/readiness", exchange -> {
            if (allowGet(exchange)) {
                boolean ready = isReady(supervisor, database);
                respond(exchange, ready ? 200 : 503, "application/json", "{\"status\":\"" + upDown(ready) + "\","
                        + details(supervisor, database) + "}\n");
            }
        });
        server.createContext("/health", exchange -> {
            if (!exchange.getRequestURI().getPath().equals("/health")) {
                respond(exchange, 404, "text/plain", "not found: try /health, /health/liveness, /health/readiness\n");
                return;
            }
            if (!allowGet(exchange)) {
                return;
            }
            boolean healthy = supervisor.isLive() && isReady(supervisor, database);
            respond(exchange, healthy ? 200 : 503, "application/json", "{\"status\":\"" + upDown(healthy) + "\","
                    + "\"liveness\":\"" + upDown(supervisor.isLive()) + "\"," + details(supervisor, database) + "}\n");
        });
        if (console != null) {
            this.console = Console.start(queue, registry, console.token(), isLoopback(host));
            server.createContext("/", this.console.handler());
        }
        // Four threads: the console admits two requests at a time, so /metrics and the probes always have two.
        executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "docjobs-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.start();
        String base = "http://" + host + ":" + server.getAddress().getPort();
        log.info("metrics at {}/metrics; probes at {}/health/liveness and {}/health/readiness", base, base, base);
        if (console != null) {
            log.info("console at {}/ (write actions {})", base, console.writesEnabled() ? "enabled: token configured"
                    : "disabled: set console.token to enable them");
        }
    }

    private static boolean isLoopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false; // bind() resolved it already; an answer that changed since is not loopback for sure
        }
    }

    private static boolean isReady(Supervisor supervisor, DatabaseReadiness database) {
        // A database that answers pings while every claim fails (a malformed entry, a missing
        // privilege) is no more ready than one that is down.
        return supervisor.state() == Supervisor.State.RUNNING && database.isUp() && supervisor.claimsSucceeding();
    }

    private static String details(Supervisor supervisor, DatabaseReadiness database) {
        String error = database.lastError();
        return "\"supervisor\":\"" + supervisor.state() + "\",\"database\":\"" + upDown(database.isUp())
                + "\",\"lastPingAgeMs\":" + database.lastGoodAgeMillis()
                + (error == null ? "" : ",\"databaseError\":\"" + json(error) + "\"")
                + ",\"claims\":\"" + (supervisor.claimsSucceeding() ? "UP" : "FAILING") + "\",\"inFlight\":"
                + supervisor.inFlight();
    }

    private static String upDown(boolean up) {
        return up ? "UP" : "DOWN";
    }

    private static String json(String text) {
        StringBuilder out = new StringBuilder();
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> out.append(c < 0x20 ? ' ' : c);
            }
        }
        return out.toString();
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
        if (database != null) {
            database.close();
        }
        if (console != null) {
            console.close();
        }
    }
}
