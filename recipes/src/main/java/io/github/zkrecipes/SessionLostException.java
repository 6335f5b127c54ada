package io.github.zkrecipes;

/**
 * The session a recipe operation depended on expired or was closed. Everything that session held
 * (nodes, grants, places in queues) is gone; the operation cannot continue. A later operation on
 * the same {@link ZkSession} runs in its new session.
 */
public class SessionLostException extends CoordinationException {
    private static final long serialVersionUID = 1L;

    public SessionLostException(String message, String path, long sessionId, Throwable cause) {
        super(message, path, sessionId, cause);
    }
}
