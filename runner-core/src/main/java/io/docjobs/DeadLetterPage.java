package io.docjobs;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of {@link JobAdmin#deadLetters}: dead letters newest first, and where the next page
 * starts. Pass {@link #next()} as {@code after} to read on; pages never skip or repeat an entry
 * that stays dead meanwhile, however many are added or removed before the position.
 *
 * @param entries the dead letters of this page, newest first, without payloads ({@link JobEntry#payload()} is null;
 *                {@link JobAdmin#get} reads one whole entry)
 * @param next    the cursor of the next page, or null if no dead letter follows this page; opaque text
 */
public record DeadLetterPage(List<JobEntry> entries, @Nullable String next) {

    /**
     * Copies the entries.
     *
     * @param entries the dead letters of this page, newest first
     * @param next    the cursor of the next page, or null
     * @throws IllegalArgumentException if {@code entries} is null or holds null
     */
    public DeadLetterPage {
        Bounds.notNull(entries, "entries");
        // Not entries.contains(null): immutable lists throw on that question.
        for (JobEntry entry : entries) {
            if (entry == null) {
                throw new IllegalArgumentException("entries contained null but every entry must be given");
            }
        }
        entries = List.copyOf(entries);
    }

    /** {@return whether a next page follows: {@link #next()} is not null} */
    public boolean hasNext() {
        return next != null;
    }
}
