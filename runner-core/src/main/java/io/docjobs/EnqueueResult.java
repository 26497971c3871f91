package io.docjobs;

/**
 * What became of one enqueue request.
 *
 * @param id        the entry id: the new entry's, or for a duplicate the unfinished entry that
 *                  already holds the dedup key
 * @param duplicate true when nothing was inserted because an unfinished entry had the same dedup key
 */
public record EnqueueResult(String id, boolean duplicate) {
}
