package io.docjobs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Socket plumbing the test servers and proxies share: a listener on an ephemeral loopback port,
 * an accept loop on a daemon thread, byte pumps, quiet closes. I/O errors on sockets that a peer
 * or the fixture closed are expected and end the connection, nothing more.
 *
 * <p>Public because runner-examples' tests use it too, through runner-core's test jar.
 */
public final class LoopbackSockets {
    private LoopbackSockets() {
    }

    /** A listener on an ephemeral port of the loopback interface. */
    public static ServerSocket listen() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /**
     * Accepts connections on a daemon thread named {@code name} until {@code listener} is closed
     * or {@code closed} says so, handing each to {@code handler} on that thread.
     */
    public static void acceptLoop(String name, ServerSocket listener, BooleanSupplier closed, Consumer<Socket> handler) {
        daemon(name, () -> {
            while (!closed.getAsBoolean()) {
                Socket socket;
                try {
                    socket = listener.accept();
                } catch (IOException e) {
                    if (listener.isClosed()) {
                        return;
                    }
                    continue; // e.g. a client that gave up before it was accepted
                }
                handler.accept(socket);
            }
        });
    }

    /** Starts {@code task} on a new daemon thread named {@code name}. */
    public static void daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Copies {@code from} to {@code to} until either side closes or fails, then closes both. */
    public static void pump(Socket from, Socket to) {
        pump(from, to, () -> false);
    }

    /**
     * As {@link #pump(Socket, Socket)}, but asks {@code cut} before passing on each chunk read:
     * if it says so the chunk is dropped and both sockets are closed.
     */
    public static void pump(Socket from, Socket to, BooleanSupplier cut) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buffer)) >= 0 && !cut.getAsBoolean()) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // a peer or the fixture closed the connection
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    /** Aborts a connection with a TCP reset rather than an orderly close, like a refused connect. */
    public static void reset(Socket socket) {
        try {
            socket.setSoLinger(true, 0);
        } catch (IOException e) {
            // already closed
        }
        closeQuietly(socket);
    }

    public static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // nothing left to release
        }
    }
}
