package io.docjobs.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import java.util.List;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

/** The bench's round-trip and claim-conflict counts, checked on a few commands of known outcome. */
class CommandCounterTest {

    @Test
    void countsEntriesThatClaimWritesTargetedButDidNotWin() {
        try (BenchDatabase db = new BenchDatabase(null)) {
            MongoCollection<Document> entries = db.collection(db.freshCollection());
            ObjectId a = new ObjectId();
            ObjectId b = new ObjectId();
            ObjectId gone = new ObjectId();
            entries.insertMany(List.of(new Document("_id", a).append("state", "ready"),
                    new Document("_id", b).append("state", "ready")));
            Document lease = new Document("$set", new Document("state", "leased"));
            CommandCounter.Snapshot before = db.counts();

            entries.updateMany(new Document("_id", new Document("$in", List.of(a, gone))).append("state", "ready"), lease);
            entries.findOneAndUpdate(new Document("_id", a).append("state", "ready"), lease);
            entries.findOneAndUpdate(new Document("_id", b).append("state", "ready"), lease, new FindOneAndUpdateOptions());
            entries.updateOne(new Document("_id", b), new Document("$set", new Document("state", "ready")));
            entries.find(new Document("state", "ready")).sort(new Document("_id", 1)).first();
            entries.deleteOne(new Document("_id", b));

            CommandCounter.Snapshot run = db.counts().minus(before);
            assertThat(run.claimTargets()).as("2 by the updateMany, 1 by each findAndModify").isEqualTo(4);
            assertThat(run.claimsLost()).as("the missing id and the entry already leased").isEqualTo(2);
            assertThat(run.total()).isEqualTo(6);
            assertThat(run.updates()).isEqualTo(2);
            assertThat(run.findAndModifies()).isEqualTo(2);
            assertThat(run.sortedFinds()).isEqualTo(1);
            assertThat(run.deletes()).isEqualTo(1);
        }
    }
}
