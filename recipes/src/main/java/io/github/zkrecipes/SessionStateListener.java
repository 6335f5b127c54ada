package io.github.zkrecipes;

/**
 * Told of every {@link SessionState} change of a {@link ZkSession}, in order.
 *
 * <p>Listeners run one at a time on the session's event thread (or, for {@link
 * SessionState#CLOSED}, on the thread that closed the session). They must not block: a blocked
 * listener delays every later event. A listener that throws is logged and does not stop the
 * others.
 */
@FunctionalInterface
public interface SessionStateListener {
    /**
     * Called after the session entered {@code state}.
     *
     * @param sessionId the ZooKeeper session id the state refers to: for {@link
     *     SessionState#LOST} the session that was lost, for {@link SessionState#CONNECTED} the new
     *     one
     */
    void stateChanged(SessionState state, long sessionId);
}
