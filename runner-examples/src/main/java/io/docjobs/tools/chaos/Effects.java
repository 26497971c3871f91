package io.docjobs.tools.chaos;

/**
 * The {@code chaos_effects} collection: one document per execution of a chaos job, written by
 * {@link ChaosHandler} and read by the chaos run's analysis. An execution whose daemon was killed
 * has a start but no end.
 *
 * <p>Each execution gets a fresh {@code _id}, never one derived from the job id and attempt: two
 * executions under the same attempt number must both be recorded, since they are exactly what the
 * analysis looks for (two valid leases at once).
 */
public final class Effects {
    /** The collection, in the queue's database. */
    public static final String COLLECTION = "chaos_effects";

    /** The job (queue entry) id, 24 hex digits. */
    public static final String JOB = "job";
    /** The job's sequence number in the run (from its payload), for diagnostics. */
    public static final String SEQ = "seq";
    /** The attempt number of the lease this execution ran under (1 = first claim). */
    public static final String ATTEMPT = "attempt";
    /** The supervisor's worker id (host-pid-name). */
    public static final String WORKER = "worker";
    /** The process id of the daemon, to match executions with the driver's kills and stops. */
    public static final String PID = "pid";
    /**
     * When the handler started, on the database's clock ({@code $currentDate} of the write that
     * records the start): the daemons' own clocks are skewed on purpose.
     */
    public static final String START = "start";
    /** The lease deadline when the handler started (database time). */
    public static final String DEADLINE_AT_START = "deadlineAtStart";
    /**
     * When the handler's work ended (the start plus the time measured by the daemon's monotonic
     * clock); absent if it never did (killed).
     */
    public static final String END = "end";
    /** The lease deadline when the work ended, heartbeat extensions included. */
    public static final String DEADLINE_AT_END = "deadlineAtEnd";
    /**
     * For a job enqueued by a schedule: the schedule's id, from the job's payload
     * ({@code {"schedule": id}}, set in the schedule's definition); absent for the producer's jobs.
     */
    public static final String SCHEDULE_ID = "scheduleId";
    /**
     * For a job enqueued by a schedule: the time it was enqueued for, read by the handler from the
     * queue entry it holds the lease on (field {@code scheduledAt}, which the firing wrote with the
     * entry); absent if the entry was gone (a stale worker whose job another attempt completed).
     */
    public static final String SCHEDULED_AT = "scheduledAt";
    /** When the job was enqueued (database time), as the handler sees it. */
    public static final String ENQUEUED_AT = "enqueuedAt";
    /** The job's kind ({@link JobKinds.Kind#label()}), from its payload. */
    public static final String KIND = "kind";
    /** For a long job: the progress earlier executions had saved, ms, from which this one resumed. */
    public static final String RESUMED_FROM_MS = "resumedFromMs";
    /** For a long job: the heartbeat extensions its handler saw (see {@link LeaseWatch}). */
    public static final String EXTENSIONS = "extensions";
    /** For a long job: the smallest slack of an extension, ms (negative: the lease had expired); absent if none. */
    public static final String MIN_SLACK_MS = "minSlackMs";
    /** For a long job: ms from the last extension seen (or the start, if none was) to the end of the work. */
    public static final String SINCE_LAST_EXTENSION_MS = "sinceLastExtensionMs";
    /** For a long job: whether the lease was lost (taken by another claim) when the work ended. */
    public static final String LEASE_LOST = "leaseLost";
    /** {@link #DONE}, {@link #CANCELLED} or {@link #FAILED}; absent if the work never ended. */
    public static final String OUTCOME = "outcome";

    /** The work was finished and the handler returned normally (the supervisor then calls done). */
    public static final String DONE = "done";
    /**
     * The work was cut short: the handler saw {@code JobContext.isCancelled()} (lease lost, or the
     * daemon shutting down), or was interrupted, which the supervisor does only together with that.
     */
    public static final String CANCELLED = "cancelled";
    /** The handler failed the attempt on purpose (a retry job's first attempts, every attempt of a poison job). */
    public static final String FAILED = "failed";

    private Effects() {
    }
}
