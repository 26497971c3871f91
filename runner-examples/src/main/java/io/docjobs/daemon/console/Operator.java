package io.docjobs.daemon.console;

import com.sun.net.httpserver.Headers;
import io.docjobs.JobAdmin;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Who asks for a write action, as the audit log records it ({@code by}): the name in the
 * {@value #HEADER} header (percent-encoded UTF-8, as the pages send it), else
 * {@code console@<remote address>}. The name is the caller's word: anyone with the token can give
 * any name, so it tells operators apart, it does not authenticate them.
 */
final class Operator {
    /** The header carrying the operator's name. */
    static final String HEADER = "X-DocJobs-Operator";

    private Operator() {
    }

    /**
     * @throws HttpError 400 when the header is not percent-encoded, blank, too long or not printable
     */
    static String of(Headers headers, @Nullable InetSocketAddress remote) {
        String raw = headers.getFirst(HEADER);
        if (raw == null || raw.isBlank()) {
            return "console@" + (remote == null ? "unknown" : remote.getAddress().getHostAddress());
        }
        String name;
        try {
            name = URLDecoder.decode(raw.strip(), StandardCharsets.UTF_8).strip();
        } catch (IllegalArgumentException e) {
            throw HttpError.badRequest(HEADER + " is not percent-encoded UTF-8", "encode the name as"
                    + " encodeURIComponent does, or leave the header out to be recorded as console@<address>");
        }
        if (name.isEmpty() || name.length() > JobAdmin.MAX_BY_LENGTH
                || name.codePoints().anyMatch(c -> Character.isISOControl(c) || !Character.isDefined(c))) {
            throw HttpError.badRequest(HEADER + " must be a name of 1 to " + JobAdmin.MAX_BY_LENGTH
                    + " printable characters", "enter your name again (Operator at the top of the page)");
        }
        return name;
    }
}
