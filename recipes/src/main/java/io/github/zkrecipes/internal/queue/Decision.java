package io.github.zkrecipes.internal.queue;

import java.util.List;
import java.util.Objects;

/**
 * A {@link WaitRule}'s answer: granted, or what must change before asking again.
 */
public final class Decision {
    private static final Decision GRANTED = new Decision(List.of(), false);
    private static final Decision CHILDREN = new Decision(List.of(), true);

    private final List<QueueNode> blockers;
    private final boolean children;
    private final boolean directory;
    private final boolean any;

    private Decision(List<QueueNode> blockers, boolean children) {
        this(blockers, children, false, false);
    }

    private Decision(List<QueueNode> blockers, boolean children, boolean directory, boolean any) {
        this.blockers = blockers;
        this.children = children;
        this.directory = directory;
        this.any = any;
    }

    /**
     * This decision, also woken when the directory's data changes (a parameter of the rule stored
     * there, such as a semaphore's permit count, was changed).
     */
    public Decision orDirectoryChange() {
        if (blockers.isEmpty()) {
            throw new IllegalStateException("only a wait for nodes can also wait for the directory");
        }
        return new Decision(blockers, false, true, any);
    }

    /**
     * True for a wait on any of several nodes ({@link #waitForAny}): only their deletion matters,
     * never their data, so the engine neither re-lists on a data change of one of them nor after
     * a deletion when every node of the next decision is still watched.
     */
    public boolean waitsForAny() {
        return any;
    }

    /** True if the directory's data is watched too. */
    public boolean watchesDirectory() {
        return directory;
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
        return new Decision(List.of(Objects.requireNonNull(node, "node")), false);
    }

    /**
     * Wait until any of {@code nodes} is deleted; their data changes are not signals. For the one
     * head waiter of a counting rule, which can use whichever permit is freed first: only it
     * watches the holders, so a release still wakes one waiter. After a deletion the engine
     * decides again on its last listing minus the deleted node, and waits with no round trip if
     * every node of the new decision is still watched.
     */
    public static Decision waitForAny(List<QueueNode> nodes) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("nothing to wait for");
        }
        return new Decision(List.copyOf(nodes), false, false, true);
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
        return blockers.isEmpty() && !children;
    }

    /** The nodes to watch; empty when granted or waiting for children. */
    public List<QueueNode> blockers() {
        return blockers;
    }

    public boolean waitsForChildren() {
        return children;
    }

    @Override
    public String toString() {
        return isGranted() ? "granted" : children ? "wait for children"
                : "wait for " + blockers.stream().map(QueueNode::name).toList();
    }
}
