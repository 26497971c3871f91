package io.docjobs;

import static io.docjobs.LoopbackSockets.closeQuietly;
import static io.docjobs.LoopbackSockets.reset;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.bson.BsonDocument;

/**
 * A TCP forwarder on an ephemeral localhost port, for injecting network faults between a client and
 * a server in tests: {@link #dropConnections()} cuts every open connection, {@link #pause()} makes
 * the proxy refuse new connections until {@link #resume()}, and {@link #dropNextReply()} lets a
 * request reach the server but loses its reply ("applied, reply lost").
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
    /** The request whose reply is to be dropped, if one is armed. */
    private final AtomicReference<Predicate<BsonDocument>> replyToDrop = new AtomicReference<>();
    private final AtomicInteger droppedReplies = new AtomicInteger();
    private volatile boolean paused;
    private volatile boolean closed;

    TcpProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.listener = LoopbackSockets.listen();
        LoopbackSockets.acceptLoop("tcp-proxy-accept-" + port(), listener, () -> closed, this::accepted);
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
     * Lets the next operation's request through to the server, then discards the server's reply
     * to it and closes both sockets of that connection: the server has applied the operation (its
     * reply was already written), but the client never learns it and sees a broken connection.
     * Connection handshakes and monitoring ({@code hello}, {@code isMaster}) do not count as the
     * next operation. Fires once; see {@link #droppedReplies()}.
     */
    void dropNextReply() {
        dropNextReplyTo(command -> true);
    }

    /**
     * As {@link #dropNextReply()}, for the next request of the given command ({@code insert},
     * {@code update}, {@code delete}, {@code findAndModify}, {@code find}, ...: the first key of
     * the command document), letting other requests pass meanwhile.
     */
    void dropNextReplyTo(String command) {
        Objects.requireNonNull(command, "command");
        dropNextReplyTo(request -> command.equals(request.getFirstKey()));
    }

    /** As {@link #dropNextReply()}, for the next request whose command document matches. */
    void dropNextReplyTo(Predicate<BsonDocument> request) {
        Objects.requireNonNull(request, "request");
        if (!replyToDrop.compareAndSet(null, request)) {
            throw new IllegalStateException("a reply drop is already armed and has not fired yet");
        }
    }

    /** Whether a reply drop is armed and has not fired yet. */
    boolean replyDropPending() {
        return replyToDrop.get() != null;
    }

    /** How many replies were dropped so far by {@link #dropNextReply()} and its variants. */
    int droppedReplies() {
        return droppedReplies.get();
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

    private void accepted(Socket client) {
        if (paused || closed) {
            reset(client);
            return;
        }
        Socket upstream = new Socket();
        try {
            upstream.connect(target, 5_000);
        } catch (IOException e) {
            reset(client);
            closeQuietly(upstream);
            return;
        }
        Connection connection = new Connection(client, upstream);
        synchronized (this) {
            // Checked again under the lock: a pause() that returned while we connected wins.
            if (paused || closed) {
                reset(client);
                closeQuietly(upstream);
                return;
            }
            connections.add(connection);
        }
        accepted.incrementAndGet();
        String name = "tcp-proxy-" + port() + "-" + connectionIds.incrementAndGet();
        LoopbackSockets.daemon(name + "-up", () -> pumpRequests(client, upstream, connection));
        LoopbackSockets.daemon(name + "-down", () -> pumpReplies(upstream, client, connection));
    }

    /**
     * Client to server, one wire-protocol message at a time, so that a request whose reply is to be
     * dropped can be recognised; the connection is marked before the request is forwarded, so the
     * mark is in place before the server can answer.
     */
    private void pumpRequests(Socket from, Socket to, Connection connection) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            // A null message: the end, or no wire-protocol message: give up on this connection.
            for (byte[] message = MongoWire.readMessage(in); message != null; message = MongoWire.readMessage(in)) {
                Predicate<BsonDocument> armed = replyToDrop.get();
                if (armed != null) {
                    BsonDocument command = MongoWire.command(message);
                    if (command != null && !isMonitoring(command) && matches(armed, command)
                            && replyToDrop.compareAndSet(armed, null)) {
                        connection.dropReply = true;
                    }
                }
                out.write(message);
                out.flush();
            }
        } catch (IOException e) {
            // a socket was closed by the proxy or a peer: the connection is over
        } finally {
            connection.close();
        }
    }

    /** Server to client: copies until either side closes or fails, or drops a reply and closes. */
    private void pumpReplies(Socket from, Socket to, Connection connection) {
        // The server answered, so it applied the request: lose the answer, cut the line.
        LoopbackSockets.pump(from, to, () -> connection.dropReply && droppedReplies.incrementAndGet() > 0);
        connection.close();
    }

    /** A predicate that throws (say, on a field the command lacks) is a non-match, not a broken connection. */
    private static boolean matches(Predicate<BsonDocument> predicate, BsonDocument command) {
        try {
            return predicate.test(command);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean isMonitoring(BsonDocument command) {
        String name = MongoWire.name(command);
        return name.equals("hello") || name.equalsIgnoreCase("isMaster");
    }

    private final class Connection {
        private final Socket client;
        private final Socket upstream;
        /** Set by the request pump: the next bytes from the server are the reply to drop. */
        private volatile boolean dropReply;

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
