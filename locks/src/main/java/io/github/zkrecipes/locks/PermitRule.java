package io.github.zkrecipes.locks;

import io.github.zkrecipes.internal.queue.Decision;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueNode;
import io.github.zkrecipes.internal.queue.WaitRule;
import java.util.ArrayList;
import java.util.List;

/**
 * The semaphore's rule, FIFO and all-or-nothing: a lease of {@code k} is granted when the permits
 * of every lease ahead plus {@code k} fit in N. The head waiter (all leases ahead are held) watches
 * every holder and the directory (where N lives), so whichever permit is freed first, or a raised
 * N, wakes it and only it; any other waiter watches the waiter just ahead, which passes it the
 * baton when granted. One instance per acquire: it remembers the last N it read.
 */
final class PermitRule implements WaitRule {
    private final int wanted;
    private int permits;

    PermitRule(int permits, int wanted) {
        this.permits = permits;
        this.wanted = wanted;
    }

    @Override
    public Decision decide(List<QueueNode> ahead, QueueNode me, byte[] directoryData) {
        int stored = SemaphoreDefinition.parse(directoryData);
        if (stored > 0) {
            permits = stored;
        }
        return decide(ahead, me);
    }

    @Override
    public Decision decide(List<QueueNode> ahead, QueueNode me) {
        long used = 0;
        List<QueueNode> leases = new ArrayList<>(ahead.size());
        for (QueueNode n : ahead) {
            if (n.kind() == NodeKind.LEASE) {
                used += n.weight();
                leases.add(n);
            }
        }
        if (used + wanted <= permits) {
            return Decision.granted();
        }
        if (used <= permits) {
            // Everything ahead is held: we are the head waiter.
            return leases.isEmpty() ? Decision.granted() : Decision.waitForAny(leases).orDirectoryChange();
        }
        return Decision.waitFor(leases.get(leases.size() - 1));
    }

    @Override
    public boolean readsDirectory() {
        return true;
    }

    @Override
    public boolean passesBaton() {
        return true;
    }
}
