package io.docjobs;

import java.util.List;

/**
 * The outcome of {@link JobQueue#extendAll}: which leases now run to a later deadline and which
 * were lost to another worker (or completed, or released) and must not be acted on any more.
 *
 * @param extended the renewed leases, carrying their new deadlines
 * @param lost     the leases whose token no longer matched; unchanged in the database
 */
public record Extension(List<Lease> extended, List<Lease> lost) {
    public Extension {
        extended = List.copyOf(extended);
        lost = List.copyOf(lost);
    }
}
