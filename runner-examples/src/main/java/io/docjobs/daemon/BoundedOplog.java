package io.docjobs.daemon;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * The oplog behind the embedded server's change streams, in place of mongo-java-server's own
 * ({@code CollectionBackedOplog}), which keeps every write in the collection {@code local.oplog.rs}
 * for ever (in the H2 file too) and answers each change-stream read by scanning and sorting all of
 * it. Measured: an empty read took ~30 ms at 100,000 entries in memory, ~90 ms at 50,000 in the H2
 * file; even trimmed to 1,000-2,000 entries those scans were a fifth of the server's CPU under a
 * daemon's load (JFR).
 *
 * <p>This one keeps the last writes in memory only, bounded by {@link #maxEntries} and about
 * {@link #maxBytes} (documents are kept BSON-encoded, as written), evicting the oldest. A read
 * finds its place by binary search and looks only at the entries after it, so its cost does not
 * grow with the oplog. A stream whose resume point was evicted (it fell behind by more than the
 * bound), or that resumes after a token from before a restart, fails with
 * {@code ChangeStreamHistoryLost} (286), as MongoDB does when its oplog no longer reaches back: the
 * client learns it may have missed changes and opens a fresh stream.
 *
 * <p>Events have the shape of the server's own: {@code _id} ({@code _data}: the entry's timestamp
 * in hex and a random mark of this run of the server), {@code operationType}, {@code ns},
 * {@code documentKey}, {@code clusterTime}, and {@code fullDocument} (the inserted document; for updates the {@code $set}/{@code $unset} fields,
 * or with {@code fullDocument: "updateLookup"} the current document); a drop of the collection is a
 * {@code drop} event (no {@code invalidate} follows). The pipeline after {@code $changeStream} is
 * applied to each event on its own (the per-document stages MongoDB allows there).
 */
final class BoundedOplog implements Oplog {
    private static final Logger log = LoggerFactory.getLogger(BoundedOplog.class);
    private static final AtomicBoolean QUIETED = new AtomicBoolean();

    /** Per-entry bookkeeping counted against {@link #maxBytes} besides the document bytes. */
    static final int ENTRY_OVERHEAD_BYTES = 100;

    private static final int HISTORY_LOST = 286;

    private enum Op { INSERT, UPDATE, DELETE, DROP }

    /** One write. {@code bson}: the inserted document or the update, encoded; null for the others. */
    private record Entry(long ts, Op op, String namespace, Object id, byte[] bson) {
        int bytes() {
            return ENTRY_OVERHEAD_BYTES + (bson == null ? 0 : bson.length);
        }
    }

    private final MongoBackend backend;
    private final CursorRegistry cursors;
    private final Clock clock;
    private final int maxEntries;
    private final long maxBytes;

    private final Entry[] ring;
    private int head;
    private int size;
    private long bytes;
    /** Tells this oplog's resume tokens from those of an earlier run of the server. */
    private final String incarnation = Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    /** The newest timestamp handed out (initially the start time: no history before it). */
    private long lastTs;
    /** Entries up to this timestamp are gone: a position before it has lost history. */
    private long floor;

    BoundedOplog(MongoBackend backend, CursorRegistry cursors, Clock clock, int maxEntries, long maxBytes) {
        if (maxEntries < 1 || maxBytes < 1) {
            throw new IllegalArgumentException("bounds must be positive: " + maxEntries + " entries, " + maxBytes + " bytes");
        }
        this.backend = backend;
        this.cursors = cursors;
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.maxBytes = maxBytes;
        this.ring = new Entry[maxEntries];
        this.lastTs = clock.instant().getEpochSecond() << 32;
        this.floor = lastTs;
    }

    /** Entries held now. */
    synchronized int size() {
        return size;
    }

    /** Bytes held now, as counted against the bound (encoded documents plus a per-entry overhead). */
    synchronized long bytes() {
        return bytes;
    }

    @Override
    public void handleInsert(String namespace, List<Document> documents) {
        List<byte[]> encoded = new ArrayList<>(documents.size());
        for (Document document : documents) {
            encoded.add(encode(document)); // outside the lock: proportional to the document
        }
        synchronized (this) {
            for (int i = 0; i < documents.size(); i++) {
                append(Op.INSERT, namespace, documents.get(i).get("_id"), encoded.get(i));
            }
        }
    }

    @Override
    public void handleUpdate(String namespace, Document selector, Document query, List<Object> modifiedIds) {
        if (modifiedIds.isEmpty()) {
            return;
        }
        byte[] update = encode(query); // one copy shared by the entries of a multi-update
        synchronized (this) {
            for (Object id : modifiedIds) {
                append(Op.UPDATE, namespace, id, update);
            }
        }
    }

    @Override
    public void handleDelete(String namespace, Document query, List<Object> deletedIds) {
        synchronized (this) {
            for (Object id : deletedIds) {
                append(Op.DELETE, namespace, id, null);
            }
        }
    }

    @Override
    public synchronized void handleDropCollection(String namespace) {
        append(Op.DROP, namespace, null, null);
    }

    private void append(Op op, String namespace, Object id, byte[] bson) {
        // Seconds in the high half, a counter in the low half, strictly increasing even if the
        // wall clock steps back: the order of the entries is the order of their timestamps.
        long ts = Math.max(lastTs + 1, clock.instant().getEpochSecond() << 32);
        Entry entry = new Entry(ts, op, namespace, id, bson);
        if (size == ring.length) {
            evictOldest();
        }
        ring[(head + size) % ring.length] = entry;
        size++;
        bytes += entry.bytes();
        lastTs = ts;
        while (bytes > maxBytes && size > 1) {
            evictOldest();
        }
    }

    private void evictOldest() {
        Entry oldest = ring[head];
        ring[head] = null;
        head = (head + 1) % ring.length;
        size--;
        bytes -= oldest.bytes();
        floor = oldest.ts;
    }

    /**
     * The entries after {@code position}.
     *
     * @throws HistoryLost when entries after {@code position} were evicted
     */
    private synchronized List<Entry> after(String namespace, long position) {
        if (position < floor) {
            throw historyLost(namespace, "fell more than " + maxEntries + " writes (or " + maxBytes + " bytes) behind");
        }
        int low = 0;
        int high = size;
        while (low < high) { // first index with ts > position
            int middle = (low + high) >>> 1;
            if (ring[(head + middle) % ring.length].ts <= position) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        List<Entry> entries = new ArrayList<>(size - low);
        for (int i = low; i < size; i++) {
            entries.add(ring[(head + i) % ring.length]);
        }
        return entries;
    }

    /**
     * The error for a resume point this oplog no longer has. mongo-java-server logs every failed
     * command at ERROR with a stack trace; {@link #quietHistoryLost()} keeps this expected one out
     * of the log, and the oplog says it in one INFO line instead.
     */
    static final class HistoryLost extends MongoServerError {
        private static final long serialVersionUID = 1L;

        HistoryLost() {
            super(HISTORY_LOST, "ChangeStreamHistoryLost",
                    "Resume of change stream was not possible, as the resume point may no longer be in the oplog");
        }
    }

    private static HistoryLost historyLost(String namespace, String why) {
        log.info("a change stream on {} {}: it fails with ChangeStreamHistoryLost (286), and its client opens a fresh one",
                namespace, why);
        return new HistoryLost();
    }

    /** Keeps mongo-java-server from logging {@link HistoryLost} as an error, where logback logs. */
    static void quietHistoryLost() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context && !QUIETED.getAndSet(true)) {
            TurboFilter filter = new TurboFilter() {
                @Override
                public FilterReply decide(Marker marker, ch.qos.logback.classic.Logger logger, Level level, String format,
                        Object[] params, Throwable t) {
                    if (level != Level.ERROR) {
                        return FilterReply.NEUTRAL;
                    }
                    if (t instanceof HistoryLost) {
                        return FilterReply.DENY;
                    }
                    if (params != null && logger.getName().startsWith("de.bwaldvogel")) {
                        for (Object param : params) {
                            if (param instanceof HistoryLost) {
                                return FilterReply.DENY;
                            }
                        }
                    }
                    return FilterReply.NEUTRAL;
                }
            };
            filter.setName("docjobs-quiet-change-stream-history-lost");
            filter.start();
            context.addTurboFilter(filter);
        }
    }

    @Override
    public Cursor createCursor(Document changeStream, String namespace, Aggregation aggregation) {
        Document startAfter = (Document) changeStream.get("startAfter");
        Document resumeAfter = (Document) changeStream.get("resumeAfter");
        BsonTimestamp startAt = (BsonTimestamp) changeStream.get("startAtOperationTime");
        long position;
        if (startAfter != null || resumeAfter != null) {
            position = fromToken(namespace, startAfter != null ? startAfter : resumeAfter);
        } else if (startAt != null) {
            position = startAt.getValue() - 1; // inclusive
        } else {
            synchronized (this) {
                position = lastTs;
            }
        }
        synchronized (this) {
            if (position < floor) {
                throw historyLost(namespace, "asked to resume from before the oldest write kept");
            }
        }
        boolean lookUp = "updateLookup".equals(changeStream.get("fullDocument"));
        ChangeCursor cursor = new ChangeCursor(cursors.generateCursorId(), namespace, aggregation, lookUp, position);
        cursors.add(cursor);
        return cursor;
    }

    /** The resume token of the entry at {@code ts}: its timestamp and this oplog's incarnation. */
    private String token(long ts) {
        return String.format("%016x-%s", ts, incarnation);
    }

    /** The timestamp a resume token names; one of an earlier incarnation names lost history. */
    private long fromToken(String namespace, Document token) {
        if (token.get("_data") instanceof String data && data.length() == 17 + incarnation.length()
                && data.charAt(16) == '-' && data.endsWith(incarnation)) {
            try {
                return Long.parseUnsignedLong(data, 0, 16, 16);
            } catch (NumberFormatException e) {
                // not one of ours
            }
        }
        // from before a restart (the oplog starts empty), or of another server
        throw historyLost(namespace, "asked to resume after a token from before this server started (or of another server)");
    }

    /** A change stream: remembers how far it has read, including entries its pipeline dropped. */
    private final class ChangeCursor extends AbstractCursor {
        private final String namespace;
        private final String database;
        private final String collection;
        private final Aggregation aggregation;
        private final boolean lookUp;
        private long position;

        ChangeCursor(long id, String namespace, Aggregation aggregation, boolean lookUp, long position) {
            super(id);
            this.namespace = namespace;
            this.database = Utils.getDatabaseNameFromFullName(namespace);
            this.collection = Utils.getCollectionNameFromFullName(namespace);
            this.aggregation = aggregation;
            this.lookUp = lookUp;
            this.position = position;
        }

        @Override
        public boolean isEmpty() {
            return false; // tailable: open until killed
        }

        @Override
        public synchronized List<Document> takeDocuments(int numberToReturn) {
            List<Document> events = new ArrayList<>();
            for (Entry entry : after(namespace, position)) {
                if (numberToReturn > 0 && events.size() >= numberToReturn) {
                    break;
                }
                if (entry.namespace.equals(namespace)) {
                    try (Stream<Document> out = aggregation.runStagesAsStream(Stream.of(event(entry)))) {
                        out.forEach(events::add);
                    }
                }
                position = entry.ts;
            }
            return events;
        }

        private Document event(Entry entry) {
            Document event = new Document("_id", new Document("_data", token(entry.ts)));
            Document ns = new Document("db", database).append("coll", collection);
            BsonTimestamp clusterTime = new BsonTimestamp(entry.ts);
            switch (entry.op) {
                case INSERT -> event.append("operationType", "insert").append("fullDocument", decode(entry.bson))
                        .append("ns", ns).append("documentKey", new Document("_id", entry.id));
                case UPDATE -> event.append("operationType", "update").append("fullDocument", updated(entry))
                        .append("ns", ns).append("documentKey", new Document("_id", entry.id));
                case DELETE -> event.append("operationType", "delete").append("ns", ns)
                        .append("documentKey", new Document("_id", entry.id));
                case DROP -> event.append("operationType", "drop").append("ns", ns);
                default -> throw new IllegalStateException(entry.op.toString());
            }
            return event.append("clusterTime", clusterTime);
        }

        private Document updated(Entry entry) {
            if (lookUp) {
                MongoCollection<?> live = backend.resolveDatabase(database).resolveCollection(collection, false);
                if (live != null) {
                    for (Document document : live.handleQuery(new Document("_id", entry.id))) {
                        return document;
                    }
                }
            }
            Document update = decode(entry.bson);
            Document delta = new Document();
            if (update.get("$set") instanceof Document set) {
                delta.putAll(set);
            }
            if (update.get("$unset") instanceof Document unset) {
                delta.putAll(unset);
            }
            return delta;
        }
    }

    private static byte[] encode(Document document) {
        ByteBuf buffer = Unpooled.buffer();
        try {
            BsonEncoder.encodeDocument(document, buffer);
            return ByteBufUtil.getBytes(buffer);
        } finally {
            buffer.release();
        }
    }

    private static Document decode(byte[] bson) {
        return BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bson));
    }
}
