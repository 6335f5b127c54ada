package io.github.zkrecipes;

/** The ensemble refused an operation on a path: the session lacks the ACL permission for it. */
public class AccessDeniedException extends CoordinationException {
    private static final long serialVersionUID = 1L;

    public AccessDeniedException(String message, String path, long sessionId, Throwable cause) {
        super(message, path, sessionId, cause);
    }
}
