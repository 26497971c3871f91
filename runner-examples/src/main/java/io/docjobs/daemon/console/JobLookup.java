package io.docjobs.daemon.console;

import io.docjobs.JobEntry;
import java.util.regex.Pattern;

/** Reads one job by id for the API and the job page, with the same 400 and 404. */
final class JobLookup {
    private static final Pattern OBJECT_ID = Pattern.compile("[0-9a-fA-F]{24}");

    private JobLookup() {
    }

    /**
     * @throws HttpError 400 for an id that is no id, 404 for an unknown one
     */
    static JobEntry find(ConsoleContext context, String id) {
        return context.queue().get(checked(id)).orElseThrow(() -> HttpError.notFound("no job with id " + id,
                "it completed (completed jobs are deleted), was purged, or never existed"));
    }

    static String checked(String id) {
        if (!OBJECT_ID.matcher(id).matches()) {
            throw HttpError.badRequest("id \"" + (id.length() > 40 ? id.substring(0, 40) + "…" : id)
                    + "\" is not a job id", "a job id is 24 hexadecimal digits, as the lists show it");
        }
        return id.toLowerCase(java.util.Locale.ROOT);
    }
}
