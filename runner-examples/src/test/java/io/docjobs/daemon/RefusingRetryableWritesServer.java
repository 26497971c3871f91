package io.docjobs.daemon;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An embedded server that answers as a replica set member with sessions, so the driver sends its
 * writes as retryable writes (with a {@code txnNumber}), and refuses those as Amazon DocumentDB
 * does: error 301, "Retryable writes are not supported". Writes without a {@code txnNumber}
 * ({@code retryWrites=false}) work.
 */
final class RefusingRetryableWritesServer implements AutoCloseable {
    private static final Set<String> HANDSHAKES = Set.of("ismaster", "hello");

    private final MongoServer server;
    private final String connectionString;
    private final List<String> refused = new CopyOnWriteArrayList<>();

    RefusingRetryableWritesServer() {
        server = new MongoServer(new MemoryBackend() {
            @Override
            public Document handleCommand(Channel channel, String database, String command, Document query) {
                if (query.containsKey("txnNumber")) {
                    refused.add(command);
                    throw new MongoServerError(301, "Retryable writes are not supported");
                }
                Document reply = super.handleCommand(channel, database, command, query);
                if (HANDSHAKES.contains(command.toLowerCase(java.util.Locale.ROOT))) {
                    InetSocketAddress address = server().getLocalAddress();
                    String me = "127.0.0.1:" + address.getPort();
                    reply.put("setName", "rs0");
                    reply.put("hosts", List.of(me));
                    reply.put("me", me);
                    reply.put("primary", me);
                    reply.put("logicalSessionTimeoutMinutes", 30);
                }
                return reply;
            }
        });
        InetSocketAddress address = server.bind();
        connectionString = "mongodb://127.0.0.1:" + address.getPort();
    }

    private MongoServer server() {
        return server;
    }

    /** The connection string without options: the driver's default, retryable writes on. */
    String connectionString() {
        return connectionString;
    }

    /** The commands refused so far, by name. */
    List<String> refused() {
        return refused;
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
