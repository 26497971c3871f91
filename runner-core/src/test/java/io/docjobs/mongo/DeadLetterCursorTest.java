package io.docjobs.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Date;
import java.util.List;
import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** The dead-letter cursor: its text round trip for any id, and the filter of the page after it. */
class DeadLetterCursorTest {
    private static final Date DIED = new Date(1_770_000_000_123L);

    @Test
    void aCursorCarriesTheDeadAtAndAnIdOfAnyTypeAsUrlSafeText() {
        ObjectId id = new ObjectId("65f1c0ffee00000000000001");
        for (Object any : List.of(id, "order-1", 42, new Document("k", 1))) {
            String text = DeadLetterCursor.after(new Document("_id", any).append("deadAt", DIED).append("type", "email"));

            assertThat(text).matches("[A-Za-z0-9_-]+");
            BsonDocument filter = filterAfter(text, "email");
            assertThat(filter.getDocument("deadAt").getDateTime("$lte").getValue()).isEqualTo(DIED.getTime());
            assertThat(filter.getArray("$nor").get(0).asDocument().getDocument("_id").get("$gte"))
                    .isEqualTo(new Document("_id", any).toBsonDocument().get("_id"));
        }
    }

    @Test
    void theFirstPageIsEveryDateAndLaterPagesDropTheShownEntriesOfTheirMillisecond() {
        BsonDocument first = DeadLetterCursor.filter(null, null).toBsonDocument();
        String afterObjectId = DeadLetterCursor.after(new Document("_id", new ObjectId()).append("deadAt", DIED));

        assertThat(first.keySet()).containsExactly("state", "deadAt");
        assertThat(first.getString("state").getValue()).isEqualTo("dead");
        assertThat(first.getDocument("deadAt").getDateTime("$lte").getValue()).as("every date").isEqualTo(Long.MAX_VALUE);
        BsonDocument later = filterAfter(afterObjectId, null);
        assertThat(later.keySet()).containsExactly("state", "deadAt", "$nor");
        assertThat(later.getArray("$nor")).as("an ObjectId: nothing of another type sorts above it").hasSize(1);
        assertThat(filterAfter(DeadLetterCursor.after(new Document("_id", "order-1").append("deadAt", DIED)), "sms")
                .getArray("$nor").get(1).asDocument().getDocument("_id").getArray("$type"))
                .extracting(value -> value.asString().getValue())
                .containsExactly("object", "binData", "objectId", "bool", "date", "timestamp", "regex", "maxKey");
    }

    @Test
    void typesAboveFollowTheServersSortOrder() {
        assertThat(DeadLetterCursor.typesAbove(BsonType.INT64)).startsWith("string", "object").doesNotContain("int", "double");
        assertThat(DeadLetterCursor.typesAbove(BsonType.MAX_KEY)).isEmpty();
        assertThat(DeadLetterCursor.typesAbove(BsonType.MIN_KEY)).startsWith("null", "int", "long", "double", "decimal");
    }

    @Test
    void textThatIsNoCursorIsRefusedNamingTheArgument() {
        String withTrailingBytes = DeadLetterCursor.after(new Document("_id", 1).append("deadAt", DIED)) + "AAAA";
        for (String bad : List.of("", "x", "BQAAAAA", withTrailingBytes, "!!!!")) {
            assertThatThrownBy(() -> DeadLetterCursor.parse(bad, "after")).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("after was \"" + bad + "\" but must be the next cursor of a dead-letter page");
        }
    }

    private static BsonDocument filterAfter(String text, String type) {
        return DeadLetterCursor.filter(type, DeadLetterCursor.parse(text, "after")).toBsonDocument();
    }
}
