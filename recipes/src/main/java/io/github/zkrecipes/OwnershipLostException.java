package io.github.zkrecipes;

/**
 * The caller acted as the owner of a grant (a lock, lease or leadership) that it no longer holds:
 * its node is gone because the session was lost or the node was deleted, or the grant was already
 * released. A guarded operation that fails its ownership check throws this, and nothing of that
 * operation was applied.
 */
public class OwnershipLostException extends IllegalMonitorStateException {
    private static final long serialVersionUID = 1L;

    private final String path;
    private final long sessionId;

    public OwnershipLostException(String message, String path, long sessionId) {
        super(CoordinationException.describe(message, path, sessionId));
        this.path = path;
        this.sessionId = sessionId;
    }

    /** The grant's node path. */
    public String path() {
        return path;
    }

    /** The session that held the grant. */
    public long sessionId() {
        return sessionId;
    }
}
