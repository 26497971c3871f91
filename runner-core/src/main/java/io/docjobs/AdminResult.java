package io.docjobs;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of one of {@link JobAdmin}'s single-entry operations ({@link JobAdmin#cancel},
 * {@link JobAdmin#delete}, {@link JobAdmin#runNow}, {@link JobAdmin#setPriority}): what happened,
 * or why nothing did. Refusals are outcomes, not exceptions; {@link #describe()} says what to do.
 *
 * @param operation what was asked
 * @param status    what happened
 * @param id        the entry asked for
 * @param state     with {@link Status#WRONG_STATE}: the state the entry was in; otherwise null
 */
public record AdminResult(Operation operation, Status status, String id, @Nullable JobState state) {

    /** The single-entry admin operations. */
    public enum Operation {
        /** {@link JobAdmin#cancel}. */
        CANCEL("cancel"),
        /** {@link JobAdmin#delete}. */
        DELETE("delete"),
        /** {@link JobAdmin#runNow}. */
        RUN_NOW("run-now"),
        /** {@link JobAdmin#setPriority}. */
        SET_PRIORITY("priority");

        private final String label;

        Operation(String label) {
            this.label = label;
        }

        /** {@return the operation's name in the audit log and the CLI, e.g. {@code run-now}} */
        public String label() {
            return label;
        }
    }

    /** The outcomes of one operation. */
    public enum Status {
        /**
         * Cancel: the entry was READY (due or delayed), or LEASED with an expired lease, and is gone;
         * no worker will start it again.
         */
        CANCELLED,
        /**
         * Cancel: the entry is LEASED; its worker stops the handler at its next heartbeat, discards
         * the result and ends the entry as cancelled (not retried, not dead-lettered).
         */
        CANCEL_REQUESTED,
        /** Cancel: the entry is LEASED and its cancellation was requested before: nothing changed. */
        ALREADY_REQUESTED,
        /** Delete: the entry (READY or DEAD) is gone. */
        DELETED,
        /** Run now: the delayed entry is claimable now. */
        MADE_DUE,
        /** Run now: the entry is READY and claimable already: nothing changed. */
        ALREADY_DUE,
        /** Set priority: the READY entry has the new priority. */
        PRIORITY_SET,
        /** No entry has that id: it completed (completed entries are deleted), was deleted, or never existed. */
        NOT_FOUND,
        /** The entry is in a state the operation does not apply to ({@link #state()} says which): nothing changed. */
        WRONG_STATE
    }

    /**
     * Checks that operation, status and id are given, and that the state comes with WRONG_STATE alone.
     *
     * @param operation what was asked
     * @param status    what happened
     * @param id        the entry asked for
     * @param state     the entry's state with WRONG_STATE, else null
     * @throws IllegalArgumentException if one is missing, or the state does not fit the status
     */
    public AdminResult {
        Bounds.notNull(operation, "operation");
        Bounds.notNull(status, "status");
        Bounds.notNull(id, "id");
        if ((status == Status.WRONG_STATE) != (state != null)) {
            throw new IllegalArgumentException("state was " + state + " with status " + status
                    + " but must be given with WRONG_STATE and only then");
        }
    }

    /**
     * {@return a result that is not a refusal because of the entry's state}
     *
     * @param operation what was asked
     * @param status    what happened; not WRONG_STATE
     * @param id        the entry
     */
    public static AdminResult of(Operation operation, Status status, String id) {
        return new AdminResult(operation, status, id, null);
    }

    /**
     * {@return that {@code operation} does not apply to an entry in {@code state}}
     *
     * @param operation what was asked
     * @param id        the entry
     * @param state     the state it was in
     */
    public static AdminResult wrongState(Operation operation, String id, JobState state) {
        return new AdminResult(operation, Status.WRONG_STATE, id, state);
    }

    /** {@return whether the operation changed the entry (a cancellation request counts)} */
    public boolean changed() {
        return switch (status) {
            case CANCELLED, CANCEL_REQUESTED, DELETED, MADE_DUE, PRIORITY_SET -> true;
            default -> false;
        };
    }

    /** {@return one sentence for an operator: what happened and, if nothing did, why and what to do} */
    public String describe() {
        return switch (status) {
            case CANCELLED -> "cancelled job " + id + ": it was waiting (or its lease had expired) and is removed; no"
                    + " worker will start it";
            case CANCEL_REQUESTED -> "requested cancellation of running job " + id + ": its worker stops the handler at"
                    + " its next heartbeat and ends the job as cancelled (not retried)";
            case ALREADY_REQUESTED -> "cancellation of running job " + id + " was requested already: its worker ends it"
                    + " at its next heartbeat";
            case DELETED -> "deleted job " + id;
            case MADE_DUE -> "job " + id + " is due now: the next worker polling for its type claims it";
            case ALREADY_DUE -> "job " + id + " is due already and waits for a worker: nothing to do";
            case PRIORITY_SET -> "changed the priority of job " + id;
            case NOT_FOUND -> "no job with id " + id + ": it completed (completed jobs are deleted), was deleted or"
                    + " purged, or never existed";
            case WRONG_STATE -> wrongStateAdvice();
        };
    }

    private String wrongStateAdvice() {
        String is = "job " + id + " is " + state.stored() + ": ";
        return switch (operation) {
            case CANCEL -> state == JobState.DEAD ? is + "dead letters do not run; delete it or purge dead letters to"
                    + " remove it" : is + "it changed state again and again while being cancelled; try again";
            case DELETE -> is + "a worker is running it; cancel it first (the worker ends it at its next heartbeat)";
            case RUN_NOW -> state == JobState.DEAD ? is + "requeue it to run it again" : is + "it is running already";
            case SET_PRIORITY -> state == JobState.DEAD ? is + "requeue it first; only waiting jobs have a priority that"
                    + " matters" : is + "it is running already; the priority only orders waiting jobs";
        };
    }
}
