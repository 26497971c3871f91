package io.docjobs.daemon.console;

/**
 * A request the console cannot answer as asked: the status, what is wrong and what to do. The API
 * renders it as {@code {"error": ..., "hint": ...}}, pages as an error page.
 */
public final class HttpError extends RuntimeException {
    private final int status;
    private final String hint;

    /**
     * @param status the HTTP status, 4xx or 5xx
     * @param error  what is wrong, naming the input
     * @param hint   what to do about it
     */
    public HttpError(int status, String error, String hint) {
        super(error);
        this.status = status;
        this.hint = hint;
    }

    /** {@return the HTTP status} */
    public int status() {
        return status;
    }

    /** {@return what to do about it} */
    public String hint() {
        return hint;
    }

    static HttpError badRequest(String error, String hint) {
        return new HttpError(400, error, hint);
    }

    static HttpError notFound(String error, String hint) {
        return new HttpError(404, error, hint);
    }
}
