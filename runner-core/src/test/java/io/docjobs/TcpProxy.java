package io.docjobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
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
import org.bson.RawBsonDocument;

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
            start(name + "-up", () -> pumpRequests(client, upstream, connection));
            start(name + "-down", () -> pumpReplies(upstream, client, connection));
        }
    }

    private static void start(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Client to server, one wire-protocol message at a time, so that a request whose reply is to be
     * dropped can be recognised; the connection is marked before the request is forwarded, so the
     * mark is in place before the server can answer.
     */
    private void pumpRequests(Socket from, Socket to, Connection connection) {
        byte[] header = new byte[16];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (readFully(in, header, 0, 16)) {
                int length = (header[0] & 0xff) | (header[1] & 0xff) << 8 | (header[2] & 0xff) << 16 | (header[3] & 0xff) << 24;
                if (length < 16) {
                    return; // not a wire-protocol message: give up on this connection
                }
                byte[] message = new byte[length];
                System.arraycopy(header, 0, message, 0, 16);
                if (!readFully(in, message, 16, length - 16)) {
                    return;
                }
                Predicate<BsonDocument> armed = replyToDrop.get();
                if (armed != null) {
                    BsonDocument command = command(message);
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
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (connection.dropReply) {
                    // The server answered, so it applied the request: lose the answer, cut the line.
                    droppedReplies.incrementAndGet();
                    return;
                }
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a socket was closed by the proxy or a peer: the connection is over
        } finally {
            connection.close();
        }
    }

    private static boolean readFully(InputStream in, byte[] buffer, int offset, int length) throws IOException {
        int done = 0;
        while (done < length) {
            int n = in.read(buffer, offset + done, length - done);
            if (n < 0) {
                return false;
            }
            done += n;
        }
        return true;
    }

    /** The command document of an OP_MSG request (its body section), or null for anything else. */
    private static BsonDocument command(byte[] message) {
        int opCode = (message[12] & 0xff) | (message[13] & 0xff) << 8 | (message[14] & 0xff) << 16 | (message[15] & 0xff) << 24;
        if (opCode != 2013) { // OP_MSG; the first handshake of a connection may be a legacy OP_QUERY
            return null;
        }
        int position = 20; // header and flagBits
        while (position + 5 <= message.length) {
            int kind = message[position];
            int size = (message[position + 1] & 0xff) | (message[position + 2] & 0xff) << 8
                    | (message[position + 3] & 0xff) << 16 | (message[position + 4] & 0xff) << 24;
            if (size <= 0) {
                return null; // malformed: just forward it
            }
            if (kind == 0) {
                try {
                    return new RawBsonDocument(message, position + 1, size);
                } catch (RuntimeException e) {
                    return null; // malformed: just forward it
                }
            }
            position += 1 + size; // a document sequence: its size counts itself but not the kind byte
        }
        return null;
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
        String name = command.isEmpty() ? "" : command.getFirstKey();
        return name.equals("hello") || name.equalsIgnoreCase("isMaster");
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
