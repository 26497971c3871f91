package io.docjobs;

import java.util.List;

/**
 * The outcome of {@link JobConsumer#extendAll}: which leases now run to a later deadline, which
 * were lost to another worker (or completed, or released) and must not be acted on any more, and
 * which are still held but whose job an operator asked to cancel ({@link JobAdmin#cancel}).
 *
 * @param extended        the renewed leases, carrying their new deadlines
 * @param lost            the leases whose token no longer matched; unchanged in the database
 * @param cancelRequested the leases still held whose entry carries a cancellation request: not
 *                        extended; stop their handlers, discard their results and complete them
 *                        with {@link JobConsumer#done}, which ends the entry as cancelled
 */
public record ExtensionResult(List<Lease> extended, List<Lease> lost, List<Lease> cancelRequested) {
    /**
     * Copies the lists: the result does not change when the caller's lists do.
     *
     * @param extended        the renewed leases
     * @param lost            the leases no longer held
     * @param cancelRequested the leases whose job is to be cancelled
     */
    public ExtensionResult {
        extended = List.copyOf(extended);
        lost = List.copyOf(lost);
        cancelRequested = List.copyOf(cancelRequested);
    }

    /**
     * A result without cancellation requests, for consumers that know none.
     *
     * @param extended the renewed leases
     * @param lost     the leases no longer held
     */
    public ExtensionResult(List<Lease> extended, List<Lease> lost) {
        this(extended, lost, List.of());
    }
}
