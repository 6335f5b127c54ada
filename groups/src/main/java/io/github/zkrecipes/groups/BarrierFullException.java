package io.github.zkrecipes.groups;

import io.github.zkrecipes.CoordinationException;

/**
 * An entrant arrived at a {@link ZkDoubleBarrier} whose current round already has its N
 * participants. Its node was removed; it may try again once the round has left.
 */
public class BarrierFullException extends CoordinationException {
    private static final long serialVersionUID = 1L;

    private final int parties;

    public BarrierFullException(String message, String path, long sessionId, int parties) {
        super(message, path, sessionId, null);
        this.parties = parties;
    }

    /** The barrier's N. */
    public int parties() {
        return parties;
    }
}
