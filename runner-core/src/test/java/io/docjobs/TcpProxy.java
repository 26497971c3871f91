package io.docjobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder on an ephemeral localhost port, for injecting network faults between a client and
 * a server in tests: {@link #dropConnections()} cuts every open connection, {@link #pause()} makes
 * the proxy refuse new connections until {@link #resume()}.
 *
 * <p>While paused the listening socket stays bound (so resuming can never lose the port to another
 * process) and each new connection is reset as soon as it is accepted, which the client sees just
 * like a server that is down. Every connection uses two daemon threads named {@code tcp-proxy-...}.
 * I/O errors on sockets closed by the proxy or by either peer are expected and ignored.
 */
final class TcpProxy implements AutoCloseable {
    private final InetSocketAddress target;
    private final ServerSocket listener;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean paused;
    private volatile boolean closed;

    TcpProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The local port clients connect to; stable across {@link #pause()} and {@link #resume()}. */
    int port() {
        return listener.getLocalPort();
    }

    /** How many client connections were forwarded so far (refused ones while paused not counted). */
    int forwardedConnections() {
        return accepted.get();
    }

    /** How many forwarded connections are open now. */
    int openConnections() {
        return connections.size();
    }

    /** Closes every open client and upstream socket now, as a network failure or server restart would. */
    void dropConnections() {
        for (Connection connection : connections) {
            connection.close();
        }
    }

    /**
     * From now on new connections are reset at once; open ones are left alone (see
     * {@link #dropConnections()}). Once this returns no new connection gets through.
     */
    synchronized void pause() {
        paused = true;
    }

    /** Forwards new connections again, on the same port. */
    synchronized void resume() {
        paused = false;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        closeQuietly(listener);
        dropConnections();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
                continue; // e.g. a client that gave up before we accepted it
            }
            if (paused || closed) {
                reset(client);
                continue;
            }
            Socket upstream = new Socket();
            try {
                upstream.connect(target, 5_000);
            } catch (IOException e) {
                reset(client);
                closeQuietly(upstream);
                continue;
            }
            Connection connection = new Connection(client, upstream);
            synchronized (this) {
                // Checked again under the lock: a pause() that returned while we connected wins.
                if (paused || closed) {
                    reset(client);
                    closeQuietly(upstream);
                    continue;
                }
                connections.add(connection);
            }
            accepted.incrementAndGet();
            String name = "tcp-proxy-" + port() + "-" + connectionIds.incrementAndGet();
            start(name + "-up", () -> pump(client, upstream, connection));
            start(name + "-down", () -> pump(upstream, client, connection));
        }
    }

    private static void start(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Copies until either side closes or fails, then closes both sides of the connection. */
    private static void pump(Socket from, Socket to, Connection connection) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a socket was closed by the proxy or a peer: the connection is over
        } finally {
            connection.close();
        }
    }

    /** Aborts a connection with a TCP reset rather than an orderly close, like a refused connect. */
    private static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // already closed
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // nothing left to release
        }
    }

    private final class Connection {
        private final Socket client;
        private final Socket upstream;

        Connection(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void close() {
            connections.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }
}
