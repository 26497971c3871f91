package io.docjobs;

import java.util.List;

/**
 * The outcome of {@link JobConsumer#extendAll}: which leases now run to a later deadline and which
 * were lost to another worker (or completed, or released) and must not be acted on any more.
 *
 * @param extended the renewed leases, carrying their new deadlines
 * @param lost     the leases whose token no longer matched; unchanged in the database
 */
public record ExtensionResult(List<Lease> extended, List<Lease> lost) {
    /**
     * Copies both lists: the result does not change when the caller's lists do.
     *
     * @param extended the renewed leases
     * @param lost     the leases no longer held
     */
    public ExtensionResult {
        extended = List.copyOf(extended);
        lost = List.copyOf(lost);
    }
}
