package io.docjobs.tools.bench;

import com.mongodb.event.CommandFailedEvent;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import com.mongodb.event.CommandSucceededEvent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * Counts the commands a client sends, by kind, and the outcome of every claim-shaped write: an
 * update or findAndModify by {@code _id} that sets {@code state} to {@code leased}. A targeted entry
 * such a write did not match was lost to another worker (or was no longer claimable): a claim
 * conflict, whoever made the claim (docjobs, the limit or the peer-style loop).
 */
final class CommandCounter implements CommandListener {
    private final LongAdder total = new LongAdder();
    private final LongAdder sortedFinds = new LongAdder();
    private final LongAdder otherFinds = new LongAdder();
    private final LongAdder findAndModifies = new LongAdder();
    private final LongAdder updates = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder aggregates = new LongAdder();
    private final LongAdder claimTargets = new LongAdder();
    private final LongAdder claimWins = new LongAdder();
    /** Entries targeted by claim-shaped writes in flight, by request id. */
    private final Map<Integer, Integer> pending = new ConcurrentHashMap<>();
    /** The shape of every command in flight, by request id, and the count and total time of each shape. */
    private final Map<Integer, String> shapes = new ConcurrentHashMap<>();
    private final Map<String, LongAdder[]> byShape = new ConcurrentHashMap<>();

    /** Counts since the client started; subtract two snapshots for one run. */
    record Snapshot(long total, long sortedFinds, long otherFinds, long findAndModifies, long updates, long deletes,
            long aggregates, long claimTargets, long claimWins) {

        Snapshot minus(Snapshot earlier) {
            return new Snapshot(total - earlier.total, sortedFinds - earlier.sortedFinds, otherFinds - earlier.otherFinds,
                    findAndModifies - earlier.findAndModifies, updates - earlier.updates, deletes - earlier.deletes,
                    aggregates - earlier.aggregates, claimTargets - earlier.claimTargets, claimWins - earlier.claimWins);
        }

        /** Entries claim-shaped writes targeted but did not win. */
        long claimsLost() {
            return claimTargets - claimWins;
        }

        /** Round trips by kind, for a table cell: sorted find / other find / findAndModify / update / delete / other. */
        String breakdown(long jobs) {
            double n = Math.max(1, jobs);
            long other = total - sortedFinds - otherFinds - findAndModifies - updates - deletes;
            return String.format("%.2f sorted find + %.2f find + %.2f findAndModify + %.2f update + %.2f delete + %.2f other",
                    sortedFinds / n, otherFinds / n, findAndModifies / n, updates / n, deletes / n, other / n);
        }
    }

    Snapshot snapshot() {
        return new Snapshot(total.sum(), sortedFinds.sum(), otherFinds.sum(), findAndModifies.sum(), updates.sum(),
                deletes.sum(), aggregates.sum(), claimTargets.sum(), claimWins.sum());
    }

    /** Count and total client-side time (nanos) by command shape so far: subtract two for one run. */
    Map<String, long[]> shapes() {
        Map<String, long[]> copy = new java.util.TreeMap<>();
        byShape.forEach((shape, adders) -> copy.put(shape, new long[] {adders[0].sum(), adders[1].sum()}));
        return copy;
    }

    static Map<String, long[]> minus(Map<String, long[]> later, Map<String, long[]> earlier) {
        Map<String, long[]> run = new java.util.TreeMap<>();
        later.forEach((shape, counts) -> {
            long[] before = earlier.getOrDefault(shape, new long[2]);
            if (counts[0] > before[0]) {
                run.put(shape, new long[] {counts[0] - before[0], counts[1] - before[1]});
            }
        });
        return run;
    }

    /**
     * A command's shape: its name, the fields of its filter with their operators, whether it
     * sorts, and for updates whether they are multi and how many statements they carry; e.g.
     * {@code find {state:$in, type:$in, visibleAt:$lte} sort}.
     */
    static String shape(String name, BsonDocument command) {
        return switch (name) {
            case "find" -> "find " + filter(command.get("filter")) + (command.containsKey("sort") ? " sort" : "");
            case "findAndModify" -> "findAndModify " + filter(command.get("query"))
                    + (command.containsKey("sort") ? " sort" : "");
            case "update", "delete" -> {
                BsonValue list = command.get(name.equals("update") ? "updates" : "deletes");
                if (!(list instanceof org.bson.BsonArray statements) || statements.isEmpty()) {
                    yield name;
                }
                BsonDocument first = statements.get(0).asDocument();
                String multi = name.equals("update") ? (first.getBoolean("multi", org.bson.BsonBoolean.FALSE).getValue()
                        ? "Many " : "One ") : (first.get("limit") != null && first.get("limit").isNumber()
                                && first.get("limit").asNumber().intValue() == 0 ? "Many " : "One ");
                yield name + multi + filter(first.get("q")) + (statements.size() > 1 ? " x" + statements.size() : "");
            }
            default -> name;
        };
    }

    private static String filter(BsonValue filter) {
        if (filter == null || !filter.isDocument()) {
            return "{}";
        }
        StringBuilder text = new StringBuilder("{");
        for (Map.Entry<String, BsonValue> field : filter.asDocument().entrySet()) {
            text.append(text.length() > 1 ? ", " : "").append(field.getKey());
            if (field.getValue().isDocument() && !field.getValue().asDocument().isEmpty()
                    && field.getValue().asDocument().getFirstKey().startsWith("$")) {
                text.append(':').append(field.getValue().asDocument().getFirstKey());
            }
        }
        return text.append('}').toString();
    }

    @Override
    public void commandStarted(CommandStartedEvent event) {
        total.increment();
        BsonDocument command = event.getCommand();
        shapes.put(event.getRequestId(), shape(event.getCommandName(), command));
        switch (event.getCommandName()) {
            case "find" -> (command.containsKey("sort") ? sortedFinds : otherFinds).increment();
            case "findAndModify" -> {
                findAndModifies.increment();
                if (isClaim(command.get("update")) && targets(command.get("query")) > 0) {
                    pending.put(event.getRequestId(), 1);
                }
            }
            case "update" -> {
                updates.increment();
                int targeted = 0;
                if (command.get("updates") instanceof org.bson.BsonArray statements) {
                    for (BsonValue statement : statements) {
                        if (statement.isDocument() && isClaim(statement.asDocument().get("u"))) {
                            targeted += targets(statement.asDocument().get("q"));
                        }
                    }
                }
                if (targeted > 0) {
                    pending.put(event.getRequestId(), targeted);
                }
            }
            case "delete" -> deletes.increment();
            case "aggregate" -> aggregates.increment();
            default -> { }
        }
    }

    @Override
    public void commandSucceeded(CommandSucceededEvent event) {
        timed(event.getRequestId(), event.getElapsedTime(java.util.concurrent.TimeUnit.NANOSECONDS));
        Integer targeted = pending.remove(event.getRequestId());
        if (targeted == null) {
            return;
        }
        BsonDocument reply = event.getResponse();
        long won;
        if (event.getCommandName().equals("findAndModify")) {
            won = reply.get("value") != null && reply.get("value").isDocument() ? 1 : 0;
        } else {
            won = reply.get("n") != null && reply.get("n").isNumber() ? reply.get("n").asNumber().longValue() : 0;
        }
        claimTargets.add(targeted);
        claimWins.add(Math.min(won, targeted));
    }

    @Override
    public void commandFailed(CommandFailedEvent event) {
        timed(event.getRequestId(), event.getElapsedTime(java.util.concurrent.TimeUnit.NANOSECONDS));
        pending.remove(event.getRequestId());
    }

    private void timed(int requestId, long nanos) {
        String shape = shapes.remove(requestId);
        if (shape != null) {
            LongAdder[] adders = byShape.computeIfAbsent(shape, s -> new LongAdder[] {new LongAdder(), new LongAdder()});
            adders[0].increment();
            adders[1].add(nanos);
        }
    }

    /** An update document that leases: {@code $set: {state: "leased"}}. */
    private static boolean isClaim(BsonValue update) {
        return update != null && update.isDocument() && update.asDocument().get("$set") instanceof BsonDocument set
                && set.get("state") != null && set.get("state").isString()
                && set.getString("state").getValue().equals("leased");
    }

    /** How many entries a filter names by {@code _id}: the size of an {@code $in}, 1 for a value, 0 for none. */
    private static int targets(BsonValue filter) {
        if (filter == null || !filter.isDocument() || !filter.asDocument().containsKey("_id")) {
            return 0;
        }
        BsonValue id = filter.asDocument().get("_id");
        if (id.isDocument() && id.asDocument().get("$in") != null && id.asDocument().get("$in").isArray()) {
            return id.asDocument().getArray("$in").size();
        }
        return 1;
    }
}
