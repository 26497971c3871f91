package io.docjobs;

import static io.docjobs.LoopbackSockets.closeQuietly;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonString;

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
    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final AtomicInteger requestIds = new AtomicInteger(1_000_000);
    private volatile boolean closed;

    public FakeAuthServer() throws IOException {
        listener = LoopbackSockets.listen();
        LoopbackSockets.acceptLoop("fake-auth-server-accept-" + port(), listener, () -> closed, this::accepted);
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

    private void accepted(Socket socket) {
        sockets.add(socket);
        if (closed) {
            closeQuietly(socket);
            return;
        }
        int connectionId = connectionIds.incrementAndGet();
        LoopbackSockets.daemon("fake-auth-server-" + port() + "-" + connectionId, () -> serve(socket, connectionId));
    }

    private void serve(Socket socket, int connectionId) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (byte[] request = MongoWire.readMessage(in); request != null; request = MongoWire.readMessage(in)) {
                int opCode = MongoWire.opCode(request);
                if (opCode != MongoWire.OP_MSG && opCode != MongoWire.OP_QUERY) {
                    commands.add("opCode " + opCode);
                    return; // e.g. OP_COMPRESSED, which the driver only sends when configured to
                }
                BsonDocument command = MongoWire.command(request);
                if (command == null) {
                    return; // malformed
                }
                boolean msg = opCode == MongoWire.OP_MSG;
                BsonDocument answer = answer(msg ? "OP_MSG" : "OP_QUERY", command, connectionId);
                int id = requestIds.incrementAndGet();
                out.write(msg ? MongoWire.opMsg(id, MongoWire.requestId(request), answer)
                        : MongoWire.opReply(id, MongoWire.requestId(request), answer));
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the client or close() ended the connection
        } finally {
            sockets.remove(socket);
        }
    }

    private BsonDocument answer(String protocol, BsonDocument command, int connectionId) {
        String name = MongoWire.name(command);
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

    @Override
    public String toString() {
        return "FakeAuthServer[127.0.0.1:" + port() + ", received " + commands + "]";
    }
}
