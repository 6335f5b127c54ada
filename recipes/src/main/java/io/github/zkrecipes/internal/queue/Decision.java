package io.github.zkrecipes.internal.queue;

import java.util.Objects;

/**
 * A {@link WaitRule}'s answer: granted, or what must change before asking again.
 */
public final class Decision {
    private static final Decision GRANTED = new Decision(null, false);
    private static final Decision CHILDREN = new Decision(null, true);

    private final QueueNode blocker;
    private final boolean children;

    private Decision(QueueNode blocker, boolean children) {
        this.blocker = blocker;
        this.children = children;
    }

    /** The caller may proceed. */
    public static Decision granted() {
        return GRANTED;
    }

    /**
     * Wait until {@code node} is deleted (or its data changes, which a rule can use to pass a
     * baton). Only this one node is watched: nobody else is woken when it goes.
     */
    public static Decision waitFor(QueueNode node) {
        return new Decision(Objects.requireNonNull(node, "node"), false);
    }

    /**
     * Wait until the set of children changes. Every waiter given this decision is woken by every
     * join and leave, so rules use it only where that is the point (a barrier) or for the one
     * head waiter of a counting rule.
     */
    public static Decision waitForChildren() {
        return CHILDREN;
    }

    public boolean isGranted() {
        return blocker == null && !children;
    }

    /** The one node to watch, or null. */
    public QueueNode blocker() {
        return blocker;
    }

    public boolean waitsForChildren() {
        return children;
    }

    @Override
    public String toString() {
        return isGranted() ? "granted" : children ? "wait for children" : "wait for " + blocker.name();
    }
}
