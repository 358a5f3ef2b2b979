package flux2.server;

/** A request the server refuses: the HTTP status and a one-line message that says what was wrong and what is allowed. */
public final class ApiError extends RuntimeException {
    private final int status;
    private final transient Object details;

    public ApiError(int status, String message) {
        this(status, message, null);
    }

    /** With {@code details}: a JSON-serialisable value sent beside the message (the problems of a config). */
    public ApiError(int status, String message, Object details) {
        super(message);
        this.status = status;
        this.details = details;
    }

    public int status() { return status; }

    public Object details() { return details; }

    public static ApiError badRequest(String message) { return new ApiError(400, message); }

    public static ApiError forbidden(String message) { return new ApiError(403, message); }

    public static ApiError notFound(String message) { return new ApiError(404, message); }

    public static ApiError conflict(String message) { return new ApiError(409, message); }
}
