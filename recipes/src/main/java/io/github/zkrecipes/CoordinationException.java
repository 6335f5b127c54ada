package io.github.zkrecipes;

/**
 * A coordination failure: something on the ensemble made a recipe operation impossible. Carries
 * the znode path it concerns and the session that saw it; the cause, where there is one, is the
 * ZooKeeper exception that reported it.
 *
 * <p>Subtypes: {@link SessionLostException}, {@link AccessDeniedException}, {@link
 * EnsembleUnreachableException}. Ownership loss is reported separately as {@link
 * OwnershipLostException}, an {@link IllegalMonitorStateException}, as {@code
 * java.util.concurrent} users expect.
 */
public class CoordinationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final long sessionId;

    public CoordinationException(String message, String path, long sessionId, Throwable cause) {
        super(describe(message, path, sessionId), cause);
        this.path = path;
        this.sessionId = sessionId;
    }

    static String describe(String message, String path, long sessionId) {
        StringBuilder b = new StringBuilder(message);
        if (path != null) {
            b.append(" [path ").append(path);
            if (sessionId != 0) {
                b.append(", session 0x").append(Long.toHexString(sessionId));
            }
            b.append(']');
        } else if (sessionId != 0) {
            b.append(" [session 0x").append(Long.toHexString(sessionId)).append(']');
        }
        return b.toString();
    }

    /** The znode path this failure concerns, or {@code null} if it concerns no single path. */
    public String path() {
        return path;
    }

    /** The session that saw the failure, or 0 if there was none yet. */
    public long sessionId() {
        return sessionId;
    }
}
