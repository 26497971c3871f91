package io.docjobs;

import java.util.List;

/**
 * The outcome of {@link JobConsumer#doneAll}: which jobs were completed under their own lease and
 * which leases were lost, each exactly as {@link JobConsumer#done} would have answered for it.
 *
 * @param completed the leases whose entries this call deleted
 * @param lost      the leases no longer held (or whose completion may have been another worker's):
 *                  their work is not acknowledged
 */
public record CompletionResult(List<Lease> completed, List<Lease> lost) {
    /**
     * Copies both lists: the result does not change when the caller's lists do.
     *
     * @param completed the leases completed
     * @param lost      the leases not completed by this call
     */
    public CompletionResult {
        completed = List.copyOf(completed);
        lost = List.copyOf(lost);
    }
}
