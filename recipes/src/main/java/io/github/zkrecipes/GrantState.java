package io.github.zkrecipes;

/**
 * What a holder may believe about its {@link Grant}.
 *
 * <ul>
 *   <li>{@link #HELD}: the grant's node exists and the session was connected at the last event.
 *   <li>{@link #UNCERTAIN}: the connection is suspended; the session, and so the grant, may already
 *       have expired on the ensemble. Stop acting as owner until the state is {@code HELD} again.
 *   <li>{@link #LOST}: the session expired or the node was deleted. Terminal.
 *   <li>{@link #RELEASED}: the holder released it, or closed its session. Terminal.
 * </ul>
 */
public enum GrantState {
    HELD,
    UNCERTAIN,
    LOST,
    RELEASED;

    /** True for {@link #LOST} and {@link #RELEASED}: the grant will never be held again. */
    public boolean isTerminal() {
        return this == LOST || this == RELEASED;
    }
}
