package io.docjobs;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One page of {@link JobAdmin#jobs}, and where the next page starts. Pass {@link #next()} as the
 * query's {@code after} to read on: keyset paging, so pages neither skip nor repeat an entry whose
 * position in the order stays the same meanwhile, however many entries are added.
 *
 * @param entries the entries of this page in the query's order, without payloads and error histories
 *                ({@link JobEntry#payload()} is null, {@link JobEntry#errors()} empty; {@link JobAdmin#get}
 *                reads one whole entry)
 * @param next    the cursor of the next page, or null if no entry follows; opaque text
 */
public record JobPage(List<JobEntry> entries, @Nullable String next) {

    /**
     * Copies the entries.
     *
     * @param entries the entries of this page
     * @param next    the cursor of the next page, or null
     * @throws IllegalArgumentException if {@code entries} is null or holds null
     */
    public JobPage {
        Bounds.notNull(entries, "entries");
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
