package io.docjobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;

/**
 * The plan checker of {@link IndexUsageTest} on explain output as MongoDB and DocumentDB print it
 * (shapes from their manuals, trimmed to the fields read), so that it is tested without a server.
 */
class QueryPlansTest {

    @Test
    void anIndexScanServesAQuery() {
        BsonDocument explain = BsonDocument.parse("""
                {queryPlanner: {namespace: "docjobs.jobs", winningPlan: {stage: "LIMIT", inputStage: {stage: "FETCH",
                    filter: {state: {$eq: "dead"}}, inputStage: {stage: "IXSCAN", indexName: "docjobs_dead_at",
                    indexBounds: {deadAt: ["[new Date(9223372036854775807), new Date(-9223372036854775808)]"]}}}},
                  rejectedPlans: [{stage: "SORT", inputStage: {stage: "COLLSCAN"}}]},
                 ok: 1}""");

        assertThat(QueryPlans.problems(explain)).as("rejected plans do not count").isEmpty();
        assertThat(QueryPlans.winningStages(explain)).containsExactly("LIMIT", "FETCH", "IXSCAN");
    }

    @Test
    void aCollectionScanIsReported() {
        BsonDocument explain = BsonDocument.parse("""
                {queryPlanner: {winningPlan: {stage: "COLLSCAN", filter: {state: {$eq: "dead"}}, direction: "forward"},
                  rejectedPlans: []}, ok: 1}""");

        assertThat(QueryPlans.problems(explain)).containsExactly("collection scan (COLLSCAN) in [COLLSCAN]",
                "no index read in [COLLSCAN]");
    }

    @Test
    void aBlockingSortOverAnIndexScanIsReportedAsDocumentDbPrintsIt() {
        // DocumentDB's example of a sort its index does not serve (planner version 2).
        BsonDocument explain = BsonDocument.parse("""
                {queryPlanner: {plannerVersion: 2, namespace: "limit_test.test", winningPlan: {stage: "LIMIT_SKIP",
                  inputStage: {stage: "SORT", sortPattern: {createdAt: 1}, inputStage: {stage: "IXSCAN",
                  indexName: "companyname_1_createdAt_1_isDeleted_1", direction: "forward"}}}},
                 indexFilterSet: false, ok: 1}""");

        assertThat(QueryPlans.problems(explain)).containsExactly("in-memory sort (SORT) in [LIMIT_SKIP, SORT, IXSCAN]");
    }

    @Test
    void lookupsByIdAreIndexReadsInEveryVersion() {
        BsonDocument idHack = BsonDocument.parse("{queryPlanner: {winningPlan: {stage: \"IDHACK\"}, rejectedPlans: []}}");
        BsonDocument express = BsonDocument.parse("""
                {explainVersion: "1", queryPlanner: {winningPlan: {isCached: false, stage: "EXPRESS_IXSCAN",
                  keyPattern: "{ _id: 1 }", indexName: "_id_"}, rejectedPlans: []}}""");
        BsonDocument clustered = BsonDocument.parse("""
                {queryPlanner: {winningPlan: {stage: "CLUSTERED_IXSCAN", filter: {_id: {$eq: 1}}, direction: "forward",
                  minRecord: 1, maxRecord: 1}}}""");
        BsonDocument update = BsonDocument.parse("{queryPlanner: {winningPlan: {stage: \"UPDATE\", inputStage: {stage: \"IDHACK\"}}}}");

        for (BsonDocument explain : List.of(idHack, express, clustered, update)) {
            assertThat(QueryPlans.problems(explain)).as(explain.toJson()).isEmpty();
        }
    }

    @Test
    void slotBasedPlansAreReadFromTheirQueryPlan() {
        BsonDocument served = BsonDocument.parse("""
                {explainVersion: "2", queryPlanner: {winningPlan: {queryPlan: {stage: "LIMIT", planNodeId: 3,
                  inputStage: {stage: "FETCH", inputStage: {stage: "IXSCAN", indexName: "docjobs_dead_type"}}},
                  slotBasedPlan: {slots: "$$RESULT=s11", stages: "[3] limit 21 [2] nlj [1] ixseek ..."}},
                  rejectedPlans: []}}""");
        BsonDocument sorted = BsonDocument.parse("""
                {explainVersion: "2", queryPlanner: {winningPlan: {queryPlan: {stage: "SORT", sortPattern: {deadAt: -1},
                  inputStage: {stage: "COLLSCAN"}}, slotBasedPlan: {stages: "[2] sort ..."}}}}""");

        assertThat(QueryPlans.problems(served)).isEmpty();
        assertThat(QueryPlans.problems(sorted)).containsExactly("collection scan (COLLSCAN) in [SORT, COLLSCAN]",
                "in-memory sort (SORT) in [SORT, COLLSCAN]", "no index read in [SORT, COLLSCAN]");
    }

    @Test
    void aggregationsAreJudgedByTheirCursorStageAndTheirOwnSorts() {
        // MongoDB 4.2 to 5.0 (classic): the query part under stages[0].$cursor.
        BsonDocument covered = BsonDocument.parse("""
                {stages: [{$cursor: {queryPlanner: {winningPlan: {stage: "PROJECTION_COVERED", inputStage: {
                    stage: "IXSCAN", indexName: "docjobs_claim"}}, rejectedPlans: []}}},
                  {$group: {_id: {type: "$type", state: "$state"}, count: {$sum: {$const: 1}}}}], ok: 1}""");
        BsonDocument sortedAfterwards = BsonDocument.parse("""
                {stages: [{$cursor: {queryPlanner: {winningPlan: {stage: "IXSCAN"}}}}, {$sort: {sortKey: {n: 1}}}], ok: 1}""");
        // DocumentDB: a group over an index-only scan.
        BsonDocument documentDb = BsonDocument.parse("""
                {queryPlanner: {plannerVersion: 1, namespace: "docjobs.jobs", winningPlan: {stage: "HASH_AGGREGATE",
                  inputStage: {stage: "IXONLYSCAN", indexName: "docjobs_claim", direction: "forward"}}}, ok: 1}""");

        assertThat(QueryPlans.problems(covered)).isEmpty();
        assertThat(QueryPlans.problems(documentDb)).isEmpty();
        assertThat(QueryPlans.problems(sortedAfterwards)).containsExactly("in-memory sort ($sort stage of the pipeline)");
    }

    @Test
    void everyShardMustBeServed() {
        BsonDocument explain = BsonDocument.parse("""
                {queryPlanner: {mongosPlannerVersion: 1, winningPlan: {stage: "SHARD_MERGE", shards: [
                  {shardName: "s0", winningPlan: {stage: "FETCH", inputStage: {stage: "IXSCAN"}}, rejectedPlans: []},
                  {shardName: "s1", winningPlan: {stage: "COLLSCAN"}, rejectedPlans: []}]}}}""");

        assertThat(QueryPlans.problems(explain)).containsExactly("collection scan (COLLSCAN) in [SHARD_MERGE, FETCH, IXSCAN, COLLSCAN]");
    }

    @Test
    void outputWithoutAPlanIsAProblemNotAPass() {
        assertThat(QueryPlans.problems(BsonDocument.parse("{ok: 1}"))).containsExactly("no winning plan in the explain output");
    }

    @Test
    void sentCommandsBecomeExplainsWithoutTheirSessionAndWriteFields() {
        BsonDocument find = BsonDocument.parse("""
                {find: "jobs", filter: {state: "dead"}, sort: {deadAt: -1, _id: -1}, projection: {payload: 0}, limit: 21,
                 maxTimeMS: 10000, $db: "docjobs", lsid: {id: {$binary: {base64: "AAAAAAAAAAAAAAAAAAAAAA==", subType: "04"}}},
                 $readPreference: {mode: "primary"}}""");
        BsonDocument update = BsonDocument.parse("""
                {update: "jobs", ordered: true, writeConcern: {w: "majority"}, $db: "docjobs",
                 updates: [{q: {_id: 1}, u: {$set: {a: 1}}}, {q: {_id: 2}, u: {$set: {a: 2}}}]}""");

        assertThat(QueryPlans.explainCommands(find)).containsExactly(BsonDocument.parse("""
                {explain: {find: "jobs", filter: {state: "dead"}, sort: {deadAt: -1, _id: -1}, projection: {payload: 0},
                 limit: 21}, verbosity: "queryPlanner"}"""));
        assertThat(QueryPlans.explainCommands(update)).as("one explain per statement").containsExactly(
                BsonDocument.parse("{explain: {update: \"jobs\", ordered: true, updates: [{q: {_id: 1}, u: {$set: {a: 1}}}]},"
                        + " verbosity: \"queryPlanner\"}"),
                BsonDocument.parse("{explain: {update: \"jobs\", ordered: true, updates: [{q: {_id: 2}, u: {$set: {a: 2}}}]},"
                        + " verbosity: \"queryPlanner\"}"));
        assertThat(QueryPlans.explainCommands(BsonDocument.parse("{insert: \"jobs\", documents: [{a: 1}]}"))).isEmpty();
        assertThat(QueryPlans.explainCommands(BsonDocument.parse("{getMore: 5, collection: \"jobs\"}"))).isEmpty();
    }
}
