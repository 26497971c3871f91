package io.docjobs.daemon.console;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One request to an {@link Endpoint}, its path and query parsed.
 *
 * @param method     the HTTP method
 * @param path       the decoded path
 * @param pathParams the values of the pattern's {@code {name}} segments
 * @param query      the query parameters (the first value of each)
 * @param by         who asks, for the audit log of a write action (see {@link Operator}); null for reads
 */
public record Request(String method, String path, Map<String, String> pathParams, Map<String, String> query,
        @Nullable String by) {

    /**
     * Copies the maps.
     *
     * @param method     the HTTP method
     * @param path       the decoded path
     * @param pathParams the values of the pattern's segments
     * @param query      the query parameters
     * @param by         who asks, for writes; null for reads
     */
    public Request {
        pathParams = Map.copyOf(pathParams);
        query = Map.copyOf(query);
    }

    /**
     * {@return the value of the path segment {@code name}}
     *
     * @param name a {@code {name}} of the endpoint's path
     */
    public String pathParam(String name) {
        return pathParams.get(name);
    }

    /**
     * {@return the query parameter, or null when absent or empty}
     *
     * @param name the parameter
     */
    public @Nullable String param(String name) {
        String value = query.get(name);
        return value == null || value.isBlank() ? null : value.strip();
    }

    /**
     * {@return who asks, as the audit log records it}
     *
     * @throws IllegalStateException for a read, which has no {@code by}
     */
    public String operator() {
        if (by == null) {
            throw new IllegalStateException("only write actions (POST) name who asks");
        }
        return by;
    }

    /**
     * {@return the query parameter as an integer from {@code min} to {@code max}, or the default when absent}
     *
     * @param name         the parameter
     * @param defaultValue the value when absent
     * @param min          the least accepted
     * @param max          the most accepted
     * @throws HttpError 400 naming the parameter when it is no number or out of range
     */
    public int intParam(String name, int defaultValue, int min, int max) {
        String value = param(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            int parsed = Integer.parseInt(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below, as the out-of-range case is
        }
        throw HttpError.badRequest(name + " was \"" + value + "\" but must be a whole number from " + min + " to " + max,
                "correct or leave out " + name);
    }

    /**
     * {@return the {@code type} filter: null for all types}
     *
     * @throws HttpError 400 when it is longer than a type can sensibly be
     */
    public @Nullable String typeParam() {
        String type = param("type");
        if (type != null && (type.length() > 200 || type.chars().anyMatch(Character::isISOControl))) {
            throw HttpError.badRequest("type was not a job type: at most 200 characters without control characters",
                    "pass a type as it appears on the overview, or none for all types");
        }
        return type;
    }
}
