package io.github.zkrecipes.groups;

/**
 * Told of membership changes seen by a {@link GroupView}, in the order they happened, one at a
 * time, on the view's thread. Must not block for long: later events wait. One that throws is
 * logged and does not stop the view.
 */
public interface GroupListener {
    /** {@code member} joined (or was first seen: a new listener is first told of every current member). */
    default void joined(Member member) { }

    /** {@code member} left: its node was deleted, or its session ended. */
    default void left(Member member) { }

    /** A member's data changed (or it re-joined with the same id as a new node). */
    default void dataChanged(Member before, Member after) { }
}
