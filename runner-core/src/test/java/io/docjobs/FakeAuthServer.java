package io.docjobs;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonArray;
import org.bson.BsonBinaryWriter;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

/**
 * A fake MongoDB server on an ephemeral localhost port that speaks just enough wire protocol for the
 * driver's connection handshake and then rejects every authentication attempt, as a real server
 * does for a wrong user name or password ({@code AuthenticationFailed}, code 18). mongo-java-server
 * has no authentication, so this is how the "wrong credentials" path is tested.
 *
 * <p>It understands OP_MSG (2013) and the legacy OP_QUERY (2004) the driver uses for the first
 * {@code isMaster} of each connection (answered with OP_REPLY, 1). {@code hello}/{@code isMaster}
 * get a standalone 6.0-like reply (never {@code speculativeAuthenticate}, so the driver falls back to
 * {@code saslStart}); {@code saslStart}, {@code saslContinue} and {@code authenticate} fail; anything
 * else gets "not supported" (code 59). {@link #commands()} records every command name received.
 * One daemon thread per connection, named {@code fake-auth-server-...}.
 *
 * <p>Public because runner-examples' tests use it too, through runner-core's test jar.
 */
public final class FakeAuthServer implements AutoCloseable {
    private static final int OP_REPLY = 1;
    private static final int OP_QUERY = 2004;
    private static final int OP_MSG = 2013;

    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final AtomicInteger requestIds = new AtomicInteger(1_000_000);
    private volatile boolean closed;

    public FakeAuthServer() throws IOException {
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "fake-auth-server-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return listener.getLocalPort();
    }

    /**
     * Every request received, in order, as {@code OP_QUERY:isMaster} or {@code OP_MSG:saslStart}
     * (command names only: never the payloads, which carry credentials).
     */
    public List<String> commands() {
        return List.copyOf(commands);
    }

    /** How many connections clients opened. */
    public int connections() {
        return connectionIds.get();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (listener.isClosed()) {
                    return;
                }
                continue;
            }
            sockets.add(socket);
            if (closed) {
                closeQuietly(socket);
                return;
            }
            int connectionId = connectionIds.incrementAndGet();
            Thread thread = new Thread(() -> serve(socket, connectionId), "fake-auth-server-" + port() + "-" + connectionId);
            thread.setDaemon(true);
            thread.start();
        }
    }

    private void serve(Socket socket, int connectionId) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            byte[] header = new byte[16];
            while (readFully(in, header, 0, 16)) {
                ByteBuffer head = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
                int length = head.getInt(0);
                int requestId = head.getInt(4);
                int opCode = head.getInt(12);
                if (length < 16 || length > 48_000_000) {
                    return; // not a wire-protocol message
                }
                byte[] message = new byte[length];
                System.arraycopy(header, 0, message, 0, 16);
                if (!readFully(in, message, 16, length - 16)) {
                    return;
                }
                byte[] reply;
                if (opCode == OP_MSG) {
                    BsonDocument command = opMsgBody(message);
                    reply = opMsg(requestId, answer("OP_MSG", command, connectionId));
                } else if (opCode == OP_QUERY) {
                    BsonDocument command = opQueryDocument(message);
                    reply = opReply(requestId, answer("OP_QUERY", command, connectionId));
                } else {
                    commands.add("opCode " + opCode);
                    return; // e.g. OP_COMPRESSED, which the driver only sends when configured to
                }
                out.write(reply);
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the client or close() ended the connection
        } finally {
            sockets.remove(socket);
        }
    }

    private BsonDocument answer(String protocol, BsonDocument command, int connectionId) {
        String name = command.isEmpty() ? "" : command.getFirstKey();
        // OP_QUERY wraps the command as {$query: {...}, $readPreference: ...} when it has modifiers.
        if (name.equals("$query") && command.get("$query").isDocument()) {
            command = command.getDocument("$query");
            name = command.isEmpty() ? "" : command.getFirstKey();
        }
        commands.add(protocol + ":" + name);
        switch (name) {
            case "hello", "isMaster", "ismaster" -> {
                BsonDocument reply = new BsonDocument()
                        .append("ismaster", BsonBoolean.TRUE)
                        .append("helloOk", BsonBoolean.TRUE)
                        .append("maxBsonObjectSize", new BsonInt32(16 * 1024 * 1024))
                        .append("maxMessageSizeBytes", new BsonInt32(48_000_000))
                        .append("maxWriteBatchSize", new BsonInt32(100_000))
                        .append("localTime", new BsonDateTime(System.currentTimeMillis()))
                        .append("maxWireVersion", new BsonInt32(17))
                        .append("minWireVersion", new BsonInt32(0))
                        .append("connectionId", new BsonInt32(connectionId));
                if (command.containsKey("saslSupportedMechs")) {
                    reply.append("saslSupportedMechs", new BsonArray(List.of(
                            new BsonString("SCRAM-SHA-256"), new BsonString("SCRAM-SHA-1"))));
                }
                // speculativeAuthenticate is deliberately never answered: the driver then runs saslStart.
                return reply.append("ok", new BsonDouble(1.0));
            }
            case "saslStart", "saslContinue", "authenticate" -> {
                return new BsonDocument()
                        .append("ok", new BsonDouble(0.0))
                        .append("errmsg", new BsonString("Authentication failed."))
                        .append("code", new BsonInt32(18))
                        .append("codeName", new BsonString("AuthenticationFailed"));
            }
            default -> {
                return new BsonDocument()
                        .append("ok", new BsonDouble(0.0))
                        .append("errmsg", new BsonString("not supported by the fake server"))
                        .append("code", new BsonInt32(59));
            }
        }
    }

    /** The body (kind 0 section) of an OP_MSG; document sequences (kind 1) are skipped. */
    private static BsonDocument opMsgBody(byte[] message) {
        ByteBuffer buffer = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN);
        int flagBits = buffer.getInt(16);
        int end = (flagBits & 1) != 0 ? message.length - 4 : message.length; // checksumPresent
        int position = 20;
        BsonDocument body = new BsonDocument();
        while (position < end) {
            int kind = message[position];
            int size = buffer.getInt(position + 1);
            if (kind == 0) {
                body = new RawBsonDocument(message, position + 1, size);
            } else if (kind != 1) {
                throw new IllegalStateException("unknown OP_MSG section kind " + kind);
            }
            position += 1 + size;
        }
        return body;
    }

    /** The query document of an OP_QUERY: after flags, the collection name (a C string), skip and limit. */
    private static BsonDocument opQueryDocument(byte[] message) {
        int position = 20; // header and flags
        while (message[position] != 0) {
            position++;
        }
        position += 1 + 4 + 4; // the name's terminator, numberToSkip, numberToReturn
        int size = ByteBuffer.wrap(message).order(ByteOrder.LITTLE_ENDIAN).getInt(position);
        return new RawBsonDocument(message, position, size);
    }

    private byte[] opMsg(int responseTo, BsonDocument document) {
        byte[] body = encode(document);
        ByteBuffer buffer = header(16 + 4 + 1 + body.length, responseTo, OP_MSG);
        buffer.putInt(0); // flagBits
        buffer.put((byte) 0); // one kind 0 section
        buffer.put(body);
        return buffer.array();
    }

    private byte[] opReply(int responseTo, BsonDocument document) {
        byte[] body = encode(document);
        ByteBuffer buffer = header(16 + 4 + 8 + 4 + 4 + body.length, responseTo, OP_REPLY);
        buffer.putInt(0); // responseFlags
        buffer.putLong(0); // cursorID
        buffer.putInt(0); // startingFrom
        buffer.putInt(1); // numberReturned
        buffer.put(body);
        return buffer.array();
    }

    private ByteBuffer header(int length, int responseTo, int opCode) {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(length);
        buffer.putInt(requestIds.incrementAndGet());
        buffer.putInt(responseTo);
        buffer.putInt(opCode);
        return buffer;
    }

    private static byte[] encode(BsonDocument document) {
        BasicOutputBuffer output = new BasicOutputBuffer();
        try (BsonBinaryWriter writer = new BsonBinaryWriter(output)) {
            new BsonDocumentCodec().encode(writer, document, EncoderContext.builder().build());
        }
        return output.toByteArray();
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

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // nothing left to release
        }
    }

    @Override
    public String toString() {
        return "FakeAuthServer[127.0.0.1:" + port() + ", received " + commands + "]";
    }
}
