package io.github.zkrecipes;

/**
 * No server of the ensemble answered within the connection timeout. The message names the
 * connect string and how long the session waited.
 */
public class EnsembleUnreachableException extends CoordinationException {
    private static final long serialVersionUID = 1L;

    public EnsembleUnreachableException(String message, Throwable cause) {
        super(message, null, 0, cause);
    }
}
