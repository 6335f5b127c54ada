package io.github.zkrecipes.internal.queue;

import java.util.List;

/**
 * A recipe's rule, as data: given the queue nodes ahead of the caller's own node (in queue order,
 * foreign children removed), is the caller granted, or what must it wait for?
 *
 * <p><b>Contract: rules are monotone.</b> If a rule grants with some nodes ahead, it grants with
 * any subset of them. The engine relies on this after a watched node is deleted: it removes that
 * node from its last listing and asks again without another listing; a grant on that stale (larger)
 * set is then also a grant on the true one. Nodes never appear ahead of an existing node, because
 * sequence numbers only grow.
 */
@FunctionalInterface
public interface WaitRule {
    Decision decide(List<QueueNode> ahead, QueueNode me);

    /**
     * As {@link #decide(List, QueueNode)}, with the queue directory's data as read with the last
     * listing, for rules with a parameter stored there (a semaphore's permit count); {@code null}
     * when it was not read this time. Only called if {@link #readsDirectory()}.
     */
    default Decision decide(List<QueueNode> ahead, QueueNode me, byte[] directoryData) {
        return decide(ahead, me);
    }

    /** True if every listing should also read the directory's data (one pipelined getData). */
    default boolean readsDirectory() {
        return false;
    }

    /**
     * True if participants of this queue may insert nodes ahead of existing ones (a read-write
     * lock's downgrade does). The engine then lists again before granting on a local decision, and
     * whenever a blocker's data version shows it was touched: an inserted node is always announced
     * by a data change on the node it is derived from.
     */
    default boolean allowsInsertion() {
        return false;
    }

    /**
     * True if a waiter granted under this rule must touch its node (a data change) so that the
     * waiter behind it, which watches it, looks again: a counting rule, where a waiter's grant, not
     * a deletion, makes the next one the head waiter.
     */
    default boolean passesBaton() {
        return false;
    }

    /** Granted at the head of the queue; otherwise wait for the node just ahead (lock, election). */
    WaitRule EXCLUSIVE = (ahead, me) -> ahead.isEmpty() ? Decision.granted() : Decision.waitFor(ahead.get(ahead.size() - 1));
}
