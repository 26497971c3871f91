package io.docjobs;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;

/**
 * Reads {@code explain} output: whether the plan the server chose is served by an index, with no
 * collection scan and no in-memory sort. Knows the output of MongoDB 4.2 to 8.0 (classic trees;
 * slot-based plans under {@code queryPlan}; aggregations under {@code stages[].$cursor}; sharded
 * plans under {@code shards[]}) and of Amazon DocumentDB 5.0 (planner versions 1 to 3).
 *
 * <p>Also turns a command the driver sent (recorded by a {@code CommandListener}) into the
 * {@code explain} commands that ask the server how it would run it, so the shapes explained are
 * exactly the shapes the queue sends.
 */
final class QueryPlans {
    /**
     * Stages that read an index: {@code IXSCAN} (both servers), {@code IXONLYSCAN} (DocumentDB's
     * covered scan), {@code IDHACK} (MongoDB before 8.0, by {@code _id}), the {@code EXPRESS_*}
     * stages of MongoDB 8.0 (an {@code _id} or unique-index point query), {@code CLUSTERED_IXSCAN}
     * (clustered collections), and {@code COUNT_SCAN} / {@code DISTINCT_SCAN}.
     */
    static final Set<String> INDEX_STAGES = Set.of("IXSCAN", "IXONLYSCAN", "IDHACK", "EXPRESS_IXSCAN",
            "EXPRESS_CLUSTERED_IXSCAN", "EXPRESS_UPDATE", "EXPRESS_DELETE", "CLUSTERED_IXSCAN", "COUNT_SCAN",
            "DISTINCT_SCAN");
    /** The commands whose plans {@code explain} shows; others (insert, getMore, createIndexes, ...) have none. */
    static final Set<String> PLANNED = Set.of("find", "aggregate", "count", "distinct", "update", "delete",
            "findAndModify");
    /** Fields of a sent command that belong to the session or the write, not to the query, and that explain refuses. */
    private static final Set<String> NOT_EXPLAINED = Set.of("$db", "lsid", "$clusterTime", "txnNumber",
            "$readPreference", "readConcern", "writeConcern", "apiVersion", "apiStrict", "apiDeprecationErrors",
            "maxTimeMS", "autocommit", "startTransaction");
    /** Parts of explain output that describe plans the server did not choose. */
    private static final Set<String> NOT_CHOSEN = Set.of("rejectedPlans", "allPlansExecution", "slotBasedPlan");

    private QueryPlans() {
    }

    /** {@return the command's name: its first key} */
    static String commandName(BsonDocument command) {
        return command.getFirstKey();
    }

    /**
     * The {@code explain} commands (queryPlanner verbosity) for one command the driver sent: none
     * for commands without a plan, one per statement for {@code update} and {@code delete} (explain
     * takes one statement), one otherwise.
     */
    static List<BsonDocument> explainCommands(BsonDocument sent) {
        String name = commandName(sent);
        if (!PLANNED.contains(name)) {
            return List.of();
        }
        BsonDocument query = new BsonDocument();
        for (Map.Entry<String, BsonValue> field : sent.entrySet()) {
            if (!NOT_EXPLAINED.contains(field.getKey())) {
                query.append(field.getKey(), field.getValue());
            }
        }
        String statements = name.equals("update") ? "updates" : name.equals("delete") ? "deletes" : null;
        List<BsonDocument> explains = new ArrayList<>();
        if (statements == null) {
            explains.add(explain(query));
        } else {
            for (BsonValue statement : query.getArray(statements)) {
                explains.add(explain(query.clone().append(statements, new BsonArray(List.of(statement)))));
            }
        }
        return explains;
    }

    private static BsonDocument explain(BsonDocument query) {
        return new BsonDocument("explain", query).append("verbosity", new BsonString("queryPlanner"));
    }

    /**
     * What keeps the plan in {@code explain} from being index-served: a collection scan, an
     * in-memory sort (a {@code SORT} stage, or a {@code $sort} stage of an aggregation), no index
     * read at all, or no winning plan to judge. Empty if it is served by an index.
     */
    static List<String> problems(BsonDocument explain) {
        List<BsonDocument> plans = new ArrayList<>();
        collectWinningPlans(explain, plans);
        List<String> problems = new ArrayList<>();
        if (plans.isEmpty()) {
            problems.add("no winning plan in the explain output");
        }
        for (BsonDocument plan : plans) {
            Set<String> stages = new LinkedHashSet<>();
            collectStages(plan, stages);
            if (stages.contains("COLLSCAN")) {
                problems.add("collection scan (COLLSCAN) in " + stages);
            }
            if (stages.contains("SORT")) {
                problems.add("in-memory sort (SORT) in " + stages);
            }
            if (stages.stream().noneMatch(INDEX_STAGES::contains)) {
                problems.add("no index read in " + stages);
            }
        }
        if (explain.isArray("stages")) {
            for (BsonValue stage : explain.getArray("stages")) {
                if (stage.isDocument() && stage.asDocument().containsKey("$sort")) {
                    problems.add("in-memory sort ($sort stage of the pipeline)");
                }
            }
        }
        return problems;
    }

    /** {@return the names of the stages of the winning plans, outermost first, for messages} */
    static Set<String> winningStages(BsonDocument explain) {
        List<BsonDocument> plans = new ArrayList<>();
        collectWinningPlans(explain, plans);
        Set<String> stages = new LinkedHashSet<>();
        plans.forEach(plan -> collectStages(plan, stages));
        return stages;
    }

    /** Every {@code winningPlan} outside the plans not chosen; nested ones (shards) are inside their outer one. */
    private static void collectWinningPlans(BsonValue value, List<BsonDocument> plans) {
        if (value.isArray()) {
            value.asArray().forEach(item -> collectWinningPlans(item, plans));
        } else if (value.isDocument()) {
            for (Map.Entry<String, BsonValue> field : value.asDocument().entrySet()) {
                if (field.getKey().equals("winningPlan") && field.getValue().isDocument()) {
                    plans.add(field.getValue().asDocument());
                } else if (!NOT_CHOSEN.contains(field.getKey())) {
                    collectWinningPlans(field.getValue(), plans);
                }
            }
        }
    }

    private static void collectStages(BsonValue value, Set<String> stages) {
        if (value.isArray()) {
            value.asArray().forEach(item -> collectStages(item, stages));
        } else if (value.isDocument()) {
            for (Map.Entry<String, BsonValue> field : value.asDocument().entrySet()) {
                if (field.getKey().equals("stage") && field.getValue().isString()) {
                    stages.add(field.getValue().asString().getValue());
                } else if (!NOT_CHOSEN.contains(field.getKey())) {
                    collectStages(field.getValue(), stages);
                }
            }
        }
    }
}
