package io.docjobs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bson.BsonBinaryWriter;
import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

/**
 * The few pieces of the MongoDB wire protocol the test servers and proxies need: read one message
 * off a stream, find the command in a request, write a reply. Little-endian throughout; a message
 * is a 16-byte header ({@code messageLength}, {@code requestID}, {@code responseTo},
 * {@code opCode}) and a body.
 *
 * <p>Public because runner-examples' tests use it too, through runner-core's test jar.
 */
public final class MongoWire {
    public static final int OP_REPLY = 1;
    public static final int OP_QUERY = 2004;
    public static final int OP_MSG = 2013;
    public static final int HEADER_LENGTH = 16;
    /** The largest message a server accepts by default ({@code maxMessageSizeBytes}). */
    public static final int MAX_MESSAGE_LENGTH = 48_000_000;

    private MongoWire() {
    }

    /**
     * The next whole message from {@code in}, header included; null at the end of the stream or if
     * what comes is no wire-protocol message (a length below the header's or above the maximum).
     */
    public static byte[] readMessage(InputStream in) throws IOException {
        byte[] header = new byte[HEADER_LENGTH];
        if (!readFully(in, header, 0, HEADER_LENGTH)) {
            return null;
        }
        int length = intAt(header, 0);
        if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) {
            return null;
        }
        byte[] message = new byte[length];
        System.arraycopy(header, 0, message, 0, HEADER_LENGTH);
        return readFully(in, message, HEADER_LENGTH, length - HEADER_LENGTH) ? message : null;
    }

    public static int requestId(byte[] message) {
        return intAt(message, 4);
    }

    public static int opCode(byte[] message) {
        return intAt(message, 12);
    }

    /**
     * The command of a request: the body (kind 0 section) of an OP_MSG, document sequences (kind 1)
     * skipped, or the query document of an OP_QUERY (the driver's first handshake of a connection),
     * unwrapped from {@code $query} if the driver wrapped it. Null for other op codes or a malformed
     * message.
     */
    public static BsonDocument command(byte[] message) {
        try {
            return switch (opCode(message)) {
                case OP_MSG -> opMsgBody(message);
                case OP_QUERY -> unwrapped(opQueryDocument(message));
                default -> null;
            };
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The command's name: the first key of its document, or "" if empty. */
    public static String name(BsonDocument command) {
        return command.isEmpty() ? "" : command.getFirstKey();
    }

    /** An OP_MSG reply to the request {@code responseTo}: flag bits 0 and one kind 0 section. */
    public static byte[] opMsg(int requestId, int responseTo, BsonDocument document) {
        byte[] body = encode(document);
        ByteBuffer buffer = header(HEADER_LENGTH + 4 + 1 + body.length, requestId, responseTo, OP_MSG);
        buffer.putInt(0); // flagBits
        buffer.put((byte) 0); // one kind 0 section
        buffer.put(body);
        return buffer.array();
    }

    /** An OP_REPLY, the answer to an OP_QUERY, holding one document. */
    public static byte[] opReply(int requestId, int responseTo, BsonDocument document) {
        byte[] body = encode(document);
        ByteBuffer buffer = header(HEADER_LENGTH + 4 + 8 + 4 + 4 + body.length, requestId, responseTo, OP_REPLY);
        buffer.putInt(0); // responseFlags
        buffer.putLong(0); // cursorID
        buffer.putInt(0); // startingFrom
        buffer.putInt(1); // numberReturned
        buffer.put(body);
        return buffer.array();
    }

    private static BsonDocument opMsgBody(byte[] message) {
        int flagBits = intAt(message, HEADER_LENGTH);
        int end = (flagBits & 1) != 0 ? message.length - 4 : message.length; // checksumPresent
        int position = HEADER_LENGTH + 4;
        while (position + 5 <= end) {
            int kind = message[position];
            int size = intAt(message, position + 1);
            if (size <= 0 || (kind != 0 && kind != 1)) {
                return null;
            }
            if (kind == 0) {
                return new RawBsonDocument(message, position + 1, size);
            }
            position += 1 + size; // a document sequence: its size counts itself but not the kind byte
        }
        return null;
    }

    /** After the flags, the collection name (a C string), numberToSkip and numberToReturn. */
    private static BsonDocument opQueryDocument(byte[] message) {
        int position = HEADER_LENGTH + 4;
        while (message[position] != 0) {
            position++;
        }
        position += 1 + 4 + 4;
        return new RawBsonDocument(message, position, intAt(message, position));
    }

    private static BsonDocument unwrapped(BsonDocument query) {
        // OP_QUERY wraps the command as {$query: {...}, $readPreference: ...} when it has modifiers.
        return name(query).equals("$query") && query.get("$query").isDocument() ? query.getDocument("$query") : query;
    }

    private static ByteBuffer header(int length, int requestId, int responseTo, int opCode) {
        ByteBuffer buffer = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.putInt(length);
        buffer.putInt(requestId);
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

    private static int intAt(byte[] bytes, int offset) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(offset);
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
}
