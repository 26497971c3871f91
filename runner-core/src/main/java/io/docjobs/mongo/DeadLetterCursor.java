package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.DEAD;
import static io.docjobs.mongo.Entries.DEAD_AT;
import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.model.Sorts;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.BsonBinaryReader;
import org.bson.BsonBinaryWriter;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.conversions.Bson;
import org.bson.io.BasicOutputBuffer;
import org.jspecify.annotations.Nullable;

/**
 * A position in the dead-letter list: the {@code deadAt} and {@code _id} of the last entry of a
 * page. Keyset paging: the next page is the entries after it in {@link #ORDER}, read by an index
 * range, never by skipping. Shown to users as opaque text: the BSON of both values, in URL-safe
 * Base64, so any {@code _id} a dead letter may have (quarantined entries need not have ObjectIds)
 * survives the round trip.
 */
final class DeadLetterCursor {
    /** Newest first; the id breaks ties between entries that died in the same millisecond. */
    static final Bson ORDER = Sorts.orderBy(Sorts.descending(DEAD_AT), Sorts.descending(ID));
    /** The start of the list: every date there is. */
    private static final Date LATEST = new Date(Long.MAX_VALUE);
    private static final String DEAD_AT_KEY = "t";
    private static final String ID_KEY = "i";
    /** BSON types in the order MongoDB sorts values of different types, lowest first (no arrays: an _id is none). */
    private static final List<List<BsonType>> TYPE_ORDER = List.of(
            List.of(BsonType.MIN_KEY),
            List.of(BsonType.NULL, BsonType.UNDEFINED),
            List.of(BsonType.INT32, BsonType.INT64, BsonType.DOUBLE, BsonType.DECIMAL128),
            List.of(BsonType.SYMBOL, BsonType.STRING),
            List.of(BsonType.DOCUMENT),
            List.of(BsonType.BINARY),
            List.of(BsonType.OBJECT_ID),
            List.of(BsonType.BOOLEAN),
            List.of(BsonType.DATE_TIME),
            List.of(BsonType.TIMESTAMP),
            List.of(BsonType.REGULAR_EXPRESSION),
            List.of(BsonType.MAX_KEY));
    /** The {@code $type} aliases; none for the deprecated undefined and symbol, which not every server knows. */
    private static final Map<BsonType, String> ALIASES = Map.ofEntries(Map.entry(BsonType.MIN_KEY, "minKey"),
            Map.entry(BsonType.NULL, "null"), Map.entry(BsonType.INT32, "int"), Map.entry(BsonType.INT64, "long"),
            Map.entry(BsonType.DOUBLE, "double"), Map.entry(BsonType.DECIMAL128, "decimal"),
            Map.entry(BsonType.STRING, "string"), Map.entry(BsonType.DOCUMENT, "object"),
            Map.entry(BsonType.BINARY, "binData"), Map.entry(BsonType.OBJECT_ID, "objectId"),
            Map.entry(BsonType.BOOLEAN, "bool"), Map.entry(BsonType.DATE_TIME, "date"),
            Map.entry(BsonType.TIMESTAMP, "timestamp"), Map.entry(BsonType.REGULAR_EXPRESSION, "regex"),
            Map.entry(BsonType.MAX_KEY, "maxKey"));

    private final Date deadAt;
    private final BsonValue id;

    private DeadLetterCursor(Date deadAt, BsonValue id) {
        this.deadAt = deadAt;
        this.id = id;
    }

    /** The cursor after {@code entry}, an entry listed (so its {@code deadAt} is a date). */
    static String after(Document entry) {
        BsonDocument position = new BsonDocument(DEAD_AT_KEY, new BsonDateTime(entry.getDate(DEAD_AT).getTime()))
                .append(ID_KEY, new Document(ID, entry.get(ID))
                        .toBsonDocument(BsonDocument.class, MongoClientSettings.getDefaultCodecRegistry()).get(ID));
        BasicOutputBuffer buffer = new BasicOutputBuffer();
        new BsonDocumentCodec().encode(new BsonBinaryWriter(buffer), position, EncoderContext.builder().build());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.toByteArray());
    }

    /** The cursor {@code text} is, or an {@link IllegalArgumentException} naming the argument {@code name}. */
    static DeadLetterCursor parse(String text, String name) {
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(text);
            // The document's own length must be all the bytes: otherwise the text only starts like a cursor.
            if (bytes.length > 4 && ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt() == bytes.length) {
                BsonDocument position = new BsonDocumentCodec().decode(new BsonBinaryReader(ByteBuffer.wrap(bytes)),
                        DecoderContext.builder().build());
                if (position.size() == 2 && position.isDateTime(DEAD_AT_KEY) && position.containsKey(ID_KEY)) {
                    return new DeadLetterCursor(new Date(position.getDateTime(DEAD_AT_KEY).getValue()), position.get(ID_KEY));
                }
            }
        } catch (RuntimeException e) {
            // Not Base64, not BSON: refused below like a document of the wrong shape.
        }
        throw new IllegalArgumentException(name + " was \"" + text + "\" but must be the next cursor of a dead-letter page"
                + " (DeadLetterPage.next()), or null for the first page");
    }

    /**
     * The filter of a page: dead letters (of {@code type}, unless null) after {@code after} (from
     * the start if null). Only a range on {@code deadAt} and the equality on {@code type}, so
     * the dead-letter indexes serve it in {@link #ORDER}; the state is checked on the entries found
     * (only dead entries have a {@code deadAt}). The entries of the cursor's own millisecond that
     * the earlier pages showed are excluded by a {@code $nor}, which needs no index of its own.
     */
    static Bson filter(@Nullable String type, @Nullable DeadLetterCursor after) {
        Document filter = new Document(STATE, DEAD);
        if (type != null) {
            filter.append(TYPE, type);
        }
        filter.append(DEAD_AT, new Document("$lte", after == null ? LATEST : after.deadAt));
        if (after != null) {
            List<Document> shown = new ArrayList<>();
            shown.add(new Document(DEAD_AT, after.deadAt).append(ID, new Document("$gte", after.id)));
            // $gte compares within one BSON type: ids of types sorted above the cursor's (an ObjectId
            // beside a quarantined entry's string id) were shown too. Above an ObjectId there are only
            // booleans, dates and the like, which no producer uses as an id.
            List<String> above = after.id.isObjectId() ? List.of() : typesAbove(after.id.getBsonType());
            if (!above.isEmpty()) {
                shown.add(new Document(DEAD_AT, after.deadAt).append(ID, new Document("$type", above)));
            }
            filter.append("$nor", shown);
        }
        return filter;
    }

    /** The {@code $type} aliases of the types MongoDB sorts after {@code type}. */
    static List<String> typesAbove(BsonType type) {
        List<String> above = new ArrayList<>();
        boolean past = false;
        for (List<BsonType> group : TYPE_ORDER) {
            for (BsonType member : group) {
                if (past && ALIASES.containsKey(member)) {
                    above.add(ALIASES.get(member));
                }
            }
            past = past || group.contains(type);
        }
        return above;
    }
}
