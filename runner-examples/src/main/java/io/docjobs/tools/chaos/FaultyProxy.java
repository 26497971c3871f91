package io.docjobs.tools.chaos;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy between one daemon slot and the database that can misbehave: the chaos run's faulty
 * network. It listens on a local port and copies bytes both ways, one thread per direction and
 * connection. Faults, switched on and off by the driver:
 *
 * <ul>
 *   <li>{@link #latency}: every chunk waits a random time in a range before it is forwarded;
 *   <li>{@link #dropAll}: every open connection is closed (the peer sees a reset or end of stream);
 *   <li>{@link #halfOpen}: the connections open now stay open but lose every byte both ways, as
 *       behind a dead NAT entry; new connections work; {@link #closeHalfOpen} ends them later;
 *   <li>{@link #partition}: every connection, open or new, loses every byte both ways until
 *       {@link #heal}, which closes them (the bytes lost left their streams unusable anyway).
 * </ul>
 *
 * <p>Nothing is sent by the proxy itself: a peer learns of a fault only by its own time-outs, like
 * behind a real network fault. Thread-safe.
 */
final class FaultyProxy implements Closeable {
    private static final Logger log = LoggerFactory.getLogger(FaultyProxy.class);
    private static final int CHUNK = 64 * 1024;

    private final String name;
    private final InetSocketAddress target;
    private final ServerSocket server;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private volatile Delay delay;
    private volatile boolean partitioned;
    private volatile boolean closed;

    /** A range of delays per chunk, in milliseconds. */
    private record Delay(long minMillis, long maxMillis) {
        long draw() {
            return minMillis >= maxMillis ? minMillis : ThreadLocalRandom.current().nextLong(minMillis, maxMillis + 1);
        }
    }

    private FaultyProxy(String name, InetSocketAddress target, ServerSocket server) {
        this.name = name;
        this.target = target;
        this.server = server;
    }

    /** Starts a proxy to {@code target} on a free loopback port. */
    static FaultyProxy start(String name, InetSocketAddress target) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        FaultyProxy proxy = new FaultyProxy(name, target, server);
        Thread acceptor = new Thread(proxy::accept, "chaos-proxy-" + name);
        acceptor.setDaemon(true);
        acceptor.start();
        return proxy;
    }

    /** The port daemons connect to instead of the database's. */
    int port() {
        return server.getLocalPort();
    }

    String name() {
        return name;
    }

    /** Every chunk from now on waits {@code minMillis} to {@code maxMillis} before it is forwarded. */
    void latency(long minMillis, long maxMillis) {
        delay = new Delay(minMillis, maxMillis);
    }

    /** Ends the latency: chunks are forwarded at once again. */
    void noLatency() {
        delay = null;
    }

    /** Closes every open connection; returns how many there were. */
    int dropAll() {
        List<Link> open = List.copyOf(links);
        open.forEach(Link::close);
        return open.size();
    }

    /**
     * Makes every connection open now lose its bytes both ways while staying open; connections
     * made later work. Returns how many connections went half-open.
     */
    int halfOpen() {
        List<Link> open = List.copyOf(links);
        open.forEach(link -> link.halfOpen = true);
        return open.size();
    }

    /** Closes the connections that {@link #halfOpen} left; returns how many. */
    int closeHalfOpen() {
        List<Link> dead = links.stream().filter(link -> link.halfOpen).toList();
        dead.forEach(Link::close);
        return dead.size();
    }

    /** Cuts the slot off: every byte of every connection, open or new, is lost until {@link #heal}. */
    void partition() {
        partitioned = true;
    }

    /** Ends the partition, closing the connections whose bytes were lost; returns how many. */
    int heal() {
        partitioned = false;
        List<Link> cut = links.stream().filter(link -> link.cut).toList();
        cut.forEach(Link::close);
        return cut.size();
    }

    /** How many connections are open. */
    int connections() {
        return links.size();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            log.debug("closing proxy {}: {}", name, e.toString());
        }
        dropAll();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.warn("proxy {} stopped accepting: {}", name, e.toString());
                }
                return;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, 5_000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
            } catch (IOException e) {
                // The database is down (restarting): the client sees its connection closed, as it would.
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            Link link = new Link(client, upstream);
            link.cut = partitioned;
            links.add(link);
            link.start();
        }
    }

    /** One proxied connection: a client socket, its upstream socket, and a pump each way. */
    private final class Link {
        final Socket client;
        final Socket upstream;
        /** Bytes are lost both ways: a half-open connection, or one caught in a partition. */
        volatile boolean cut;
        /** Set by {@link #halfOpen()}: closed by {@link #closeHalfOpen()}, not by {@link #heal()} alone. */
        volatile boolean halfOpen;

        Link(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        boolean losesBytes() {
            return cut || halfOpen || partitioned;
        }

        void start() {
            pump(client, upstream, "up");
            pump(upstream, client, "down");
        }

        private void pump(Socket from, Socket to, String direction) {
            Thread thread = new Thread(() -> copy(from, to), "chaos-proxy-" + name + "-" + direction);
            thread.setDaemon(true);
            thread.start();
        }

        private void copy(Socket from, Socket to) {
            byte[] buffer = new byte[CHUNK];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                    if (losesBytes()) {
                        // Once a byte is lost the stream is broken for good: keep losing, like a cut cable.
                        cut = true;
                        continue;
                    }
                    Delay current = delay;
                    if (current != null) {
                        TimeUnit.MILLISECONDS.sleep(current.draw());
                        if (losesBytes()) {
                            cut = true;
                            continue;
                        }
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (SocketException e) {
                // Closed by a fault or by the other side: the normal end of a link.
            } catch (IOException e) {
                log.debug("proxy {} link ended: {}", name, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close();
            }
        }

        void close() {
            links.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing is all that is left to do.
        }
    }

    @Override
    public String toString() {
        return "proxy " + name + " :" + port() + " -> " + target;
    }
}
