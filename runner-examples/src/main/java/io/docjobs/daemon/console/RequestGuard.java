package io.docjobs.daemon.console;

import com.sun.net.httpserver.Headers;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The console's security checks, made before any endpoint runs:
 * <ul>
 * <li>while the server is bound to loopback, the {@code Host} header must name loopback too, so a
 *     page of another site cannot read the console through a DNS name that resolves to 127.0.0.1;
 * <li>a request carrying an {@code Origin} must come from the console's own origin, and API calls
 *     and writes that the browser marks {@code Sec-Fetch-Site: cross-site} are refused;
 * <li>writes are {@code POST} only and need {@code Authorization: Bearer <console.token>}, compared
 *     in constant time; without a configured token they are disabled. A custom header cannot be
 *     sent cross-site without a CORS preflight, which the console never grants.
 * </ul>
 */
final class RequestGuard {
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final byte @Nullable [] tokenDigest;
    private final boolean loopbackOnly;

    /**
     * @param token        the write token; null or empty disables writes
     * @param loopbackOnly whether the server is bound to a loopback address
     */
    RequestGuard(@Nullable String token, boolean loopbackOnly) {
        this.tokenDigest = token == null || token.isEmpty() ? null : digest(token);
        this.loopbackOnly = loopbackOnly;
    }

    boolean writesEnabled() {
        return tokenDigest != null;
    }

    /**
     * Checks one request to {@code endpoint}.
     *
     * @throws HttpError 403 for a foreign host or origin, 401 for a missing or wrong token, 403 when writes are off
     */
    void check(String method, String path, Headers headers) {
        String host = headers.getFirst("Host");
        if (loopbackOnly && (host == null || !LOOPBACK_NAMES.contains(hostName(host)))) {
            throw new HttpError(403, "Host \"" + host + "\" refused: the console is bound to loopback and answers only"
                    + " localhost, 127.0.0.1 and [::1]", "open it as http://127.0.0.1:<port>/ or through a reverse proxy"
                    + " that passes a loopback Host");
        }
        boolean write = method.equals("POST");
        String origin = headers.getFirst("Origin");
        if (origin != null && !sameOrigin(origin, host)) {
            throw new HttpError(403, "cross-site request refused: Origin " + origin + " is not this console",
                    "call the API from the console's own pages or from a script, which sends no Origin");
        }
        if ((write || path.startsWith("/api/")) && "cross-site".equals(headers.getFirst("Sec-Fetch-Site"))) {
            throw new HttpError(403, "cross-site request refused (Sec-Fetch-Site: cross-site)",
                    "call the API from the console's own pages or from a script");
        }
        if (write) {
            checkToken(headers.getFirst("Authorization"));
        }
    }

    private void checkToken(@Nullable String authorization) {
        if (tokenDigest == null) {
            throw new HttpError(403, "write actions are disabled: no console token is configured",
                    "set console.token (or DOCJOBS_CONSOLE_TOKEN / DOCJOBS_CONSOLE_TOKEN_FILE) and restart the daemon");
        }
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new HttpError(401, "write actions need the console token: the Authorization header is missing",
                    "send Authorization: Bearer <console.token>; in the console, enter the token at the top of the page");
        }
        byte[] given = digest(authorization.substring(7).strip());
        // Digests of equal length compared in constant time: the time taken says nothing about the token.
        if (!MessageDigest.isEqual(given, tokenDigest)) {
            throw new HttpError(401, "wrong console token", "send Authorization: Bearer <console.token> with the"
                    + " configured token");
        }
    }

    private static boolean sameOrigin(String origin, @Nullable String host) {
        try {
            URI uri = URI.create(origin);
            String authority = uri.getRawAuthority();
            return host != null && authority != null && authority.equalsIgnoreCase(host)
                    && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()));
        } catch (IllegalArgumentException e) {
            return false; // "null" (sandboxed frames, file pages) and garbage are foreign
        }
    }

    /** The host part of a Host header: {@code [::1]:9464} → {@code [::1]}, {@code localhost:9464} → {@code localhost}. */
    static String hostName(String host) {
        String lower = host.toLowerCase(Locale.ROOT);
        if (lower.startsWith("[")) {
            int end = lower.indexOf(']');
            return end < 0 ? lower : lower.substring(0, end + 1);
        }
        int colon = lower.indexOf(':');
        return colon < 0 ? lower : lower.substring(0, colon);
    }

    private static byte[] digest(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
