package io.github.zkrecipes.election;

import io.github.zkrecipes.OwnershipLostException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;

/**
 * What a {@link LeaderTask} gets for its term: the term's epoch and guarded writes, and the
 * cancellation signal. Cancellation happens when leadership is lost, when it turns uncertain
 * (unless the task was built with {@code cancelOnSuspend(false)}), and when the elected task is
 * closed; the task's thread is interrupted at the same moment. Thread-safe.
 */
public final class LeaderContext {
    private final Leadership leadership;
    private final CompletableFuture<Void> cancelled = new CompletableFuture<>();

    LeaderContext(Leadership leadership) {
        this.leadership = leadership;
    }

    /** True once the task should stop: leadership lost or in doubt, or the elected task closed. */
    public boolean isCancelled() {
        return cancelled.isDone();
    }

    /** Waits until {@link #isCancelled()}: for a task that only holds leadership. */
    public void awaitCancellation() throws InterruptedException {
        try {
            cancelled.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** This term's epoch (its fencing token): larger than every earlier term's. */
    public long epoch() {
        return leadership.epoch();
    }

    /** This term's handle. */
    public Leadership leadership() {
        return leadership;
    }

    /**
     * Applies {@code ops} in one {@code multi} with a check of the leader's node: all or nothing,
     * and only while this term lasts (see {@link io.github.zkrecipes.Grant#guarded}).
     *
     * @throws OwnershipLostException if the task is cancelled or the term is over; nothing applied
     */
    public List<CuratorTransactionResult> guarded(CuratorOp... ops) throws InterruptedException {
        if (isCancelled()) {
            throw new OwnershipLostException("the leader task was cancelled", leadership.path(), leadership.sessionId());
        }
        return leadership.guarded(ops);
    }

    /** Sets the signal; true the first time. */
    boolean cancel() {
        return cancelled.complete(null);
    }

    @Override
    public String toString() {
        return "LeaderContext[epoch " + epoch() + (isCancelled() ? ", cancelled" : "") + "]";
    }
}
