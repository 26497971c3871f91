package io.docjobs.mongo;

import static io.docjobs.mongo.Entries.ID;
import static io.docjobs.mongo.Entries.PRIORITY;
import static io.docjobs.mongo.Entries.READY;
import static io.docjobs.mongo.Entries.STATE;
import static io.docjobs.mongo.Entries.TYPE;
import static io.docjobs.mongo.Entries.VISIBLE_AT;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.model.Sorts;
import io.docjobs.JobQuery;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import org.bson.BsonBinaryReader;
import org.bson.BsonBinaryWriter;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.DecoderContext;
import org.bson.codecs.EncoderContext;
import org.bson.conversions.Bson;
import org.bson.io.BasicOutputBuffer;
import org.bson.types.ObjectId;
import org.jspecify.annotations.Nullable;

/**
 * A position in a job listing ({@link JobQuery}): the sort keys of the last entry of a page. Keyset
 * paging, as {@link DeadLetterCursor}: the next page is the entries after it in the order, read by
 * a range, never by skipping. Shown as opaque text: the BSON of the order and the keys in URL-safe
 * Base64, so a priority of any numeric type and any {@code _id} survive the round trip.
 *
 * <p>{@link JobQuery.Order#NEWEST} is {@code _id} descending, served by the {@code _id} index, or by
 * {@code docjobs_type_newest} for one type. {@link JobQuery.Order#CLAIM_ORDER} is the claim's order
 * with the id to break ties; the claim index serves the range of one type.
 */
final class JobCursor {
    static final Bson NEWEST = Sorts.descending(ID);
    static final Bson CLAIM_ORDER = Sorts.orderBy(Sorts.descending(PRIORITY), Sorts.ascending(VISIBLE_AT),
            Sorts.ascending(ID));
    /** The highest ObjectId: the NEWEST listing starts below it, and so lists ObjectIds only. */
    private static final ObjectId HIGHEST = new ObjectId("ffffffffffffffffffffffff");
    private static final String ORDER_KEY = "o";
    private static final String ID_KEY = "i";
    private static final String PRIORITY_KEY = "p";
    private static final String VISIBLE_AT_KEY = "t";

    private final BsonValue id;
    private final @Nullable BsonValue priority;
    private final @Nullable Date visibleAt;

    private JobCursor(BsonValue id, @Nullable BsonValue priority, @Nullable Date visibleAt) {
        this.id = id;
        this.priority = priority;
        this.visibleAt = visibleAt;
    }

    /** The sort of {@code order}. */
    static Bson sort(JobQuery.Order order) {
        return order == JobQuery.Order.NEWEST ? NEWEST : CLAIM_ORDER;
    }

    /** The cursor after {@code entry}, the last of a page in {@code order}. */
    static String after(JobQuery.Order order, Document entry) {
        BsonDocument keys = bson(new Document(ID, entry.get(ID)).append(PRIORITY, entry.get(PRIORITY)));
        BsonDocument position = new BsonDocument(ORDER_KEY, new BsonString(order.name())).append(ID_KEY, keys.get(ID));
        if (order == JobQuery.Order.CLAIM_ORDER) {
            if (keys.get(PRIORITY) != null && keys.get(PRIORITY).isNumber()) {
                position.append(PRIORITY_KEY, keys.get(PRIORITY));
            }
            // Listed entries in claim order have a date: the filter asks for one.
            position.append(VISIBLE_AT_KEY, new BsonDateTime(entry.getDate(VISIBLE_AT).getTime()));
        }
        BasicOutputBuffer buffer = new BasicOutputBuffer();
        new BsonDocumentCodec().encode(new BsonBinaryWriter(buffer), position, EncoderContext.builder().build());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer.toByteArray());
    }

    private static BsonDocument bson(Document document) {
        return document.toBsonDocument(BsonDocument.class, MongoClientSettings.getDefaultCodecRegistry());
    }

    /** The cursor {@code text} is, for a query in {@code order}; else an {@link IllegalArgumentException} naming {@code name}. */
    static JobCursor parse(String text, JobQuery.Order order, String name) {
        BsonDocument position = decode(text);
        if (position != null && position.isString(ORDER_KEY) && position.containsKey(ID_KEY)) {
            String written = position.getString(ORDER_KEY).getValue();
            if (!written.equals(order.name())) {
                throw new IllegalArgumentException(name + " was a cursor of a " + written + " listing but the query's order is "
                        + order + ": page on with the order the cursor came from, or start again with after null");
            }
            if (order == JobQuery.Order.NEWEST && position.isObjectId(ID_KEY)) {
                return new JobCursor(position.get(ID_KEY), null, null);
            }
            if (order == JobQuery.Order.CLAIM_ORDER && position.isDateTime(VISIBLE_AT_KEY)
                    && (!position.containsKey(PRIORITY_KEY) || position.get(PRIORITY_KEY).isNumber())) {
                return new JobCursor(position.get(ID_KEY), position.get(PRIORITY_KEY),
                        new Date(position.getDateTime(VISIBLE_AT_KEY).getValue()));
            }
        }
        throw new IllegalArgumentException(name + " was \"" + text + "\" but must be the next cursor of a job page"
                + " (JobPage.next()), or null for the first page");
    }

    private static @Nullable BsonDocument decode(String text) {
        try {
            byte[] bytes = Base64.getUrlDecoder().decode(text);
            // The document's own length must be all the bytes: otherwise the text only starts like a cursor.
            if (bytes.length > 4 && ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt() == bytes.length) {
                return new BsonDocumentCodec().decode(new BsonBinaryReader(ByteBuffer.wrap(bytes)), DecoderContext.builder().build());
            }
        } catch (RuntimeException e) {
            // Not Base64, not BSON: refused by the caller like a document of the wrong shape.
        }
        return null;
    }

    /**
     * The filter of a page of {@code query} after {@code after} (from the start if null). Equality
     * on type first, so the claim index (claim order) or {@code docjobs_type_newest} (newest) serves a
     * typed listing; a dedup key is looked up in the dedup index and matches one entry at most.
     */
    static Document filter(JobQuery query, @Nullable JobCursor after) {
        Document filter = new Document();
        if (query.type() != null) {
            filter.append(TYPE, query.type());
        }
        if (query.dedupKey() != null) {
            filter.append(Entries.ACTIVE_DEDUP_KEY, new Document("$eq", query.dedupKey()).append("$exists", true));
        }
        if (query.order() == JobQuery.Order.CLAIM_ORDER) {
            filter.append(STATE, READY).append(VISIBLE_AT, new Document("$type", "date"));
            if (after != null) {
                filter.append("$or", after.afterInClaimOrder());
            }
        } else {
            if (query.state() != null) {
                filter.append(STATE, query.state().stored());
            }
            filter.append(ID, new Document("$lt", after == null ? HIGHEST : after.id));
        }
        return filter;
    }

    /**
     * The entries after this position in claim order: a lower priority (entries without one come
     * last, as the sort puts them), the same priority and a later visible-at, or both the same and a
     * higher id.
     */
    private List<Document> afterInClaimOrder() {
        List<Document> branches = new ArrayList<>();
        // Null matches entries without a priority, which is where a cursor without one stands.
        BsonValue samePriority = priority;
        if (priority != null) {
            branches.add(new Document(PRIORITY, new Document("$lt", priority)));
            branches.add(new Document(PRIORITY, null));
        }
        branches.add(new Document(PRIORITY, samePriority).append(VISIBLE_AT, new Document("$gt", visibleAt)));
        branches.add(new Document(PRIORITY, samePriority).append(VISIBLE_AT, visibleAt).append(ID, new Document("$gt", id)));
        List<String> above = id.isObjectId() ? List.of() : DeadLetterCursor.typesAbove(id.getBsonType());
        if (!above.isEmpty()) {
            branches.add(new Document(PRIORITY, samePriority).append(VISIBLE_AT, visibleAt)
                    .append(ID, new Document("$type", above)));
        }
        return branches;
    }
}
