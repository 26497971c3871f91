package io.docjobs;

/** The outcome of {@link JobQueue#release}. */
public enum ReleaseResult {
    /** The entry is READY again and will be visible after the requested delay. */
    RETRY_SCHEDULED,
    /** The lease used its last attempt (or the failure was final): the entry is DEAD. */
    DEAD_LETTERED,
    /** The lease token no longer matched: another worker owns the entry now; nothing was changed. */
    LEASE_LOST
}
