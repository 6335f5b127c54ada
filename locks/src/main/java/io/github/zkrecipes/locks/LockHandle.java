package io.github.zkrecipes.locks;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.Registration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;

/**
 * One acquisition of a {@link ZkLock} or of one side of a {@link ZkReadWriteLock}: close it to
 * release that acquisition. Reentrant acquisitions by the owner thread return further handles on
 * the same grant (same node, same {@link #fence()}); the node is deleted when the last one is
 * closed.
 *
 * <p>Everything else is the grant's: {@link #state()} ({@code HELD}, {@code UNCERTAIN} while the
 * connection is suspended, {@code LOST} once the session expired or the node is gone, {@code
 * RELEASED}), {@link #whenLost()}, {@link #onStateChange}, and {@link #guarded} writes that the
 * ensemble applies only while the lock's node exists. See {@link io.github.zkrecipes.Grant} for
 * the fencing story.
 *
 * <p>{@link #close()} must be called by the owner thread (the one that acquired), like {@link
 * java.util.concurrent.locks.ReentrantLock#unlock()}; from another thread it throws {@link
 * IllegalMonitorStateException} and releases nothing. Closing a handle twice is harmless, and
 * closing a handle whose grant was lost does nothing.
 */
public final class LockHandle implements AutoCloseable {
    private final Holds holds;
    private final HeldGrant grant;
    private final Thread owner;
    private boolean closed; // guarded by holds

    LockHandle(Holds holds, HeldGrant grant, Thread owner) {
        this.holds = holds;
        this.grant = grant;
        this.owner = owner;
    }

    /** The lock node's path. */
    public String path() {
        return grant.path();
    }

    /** The fencing token: the lock node's {@code czxid}; the same for reentrant acquisitions. */
    public long fence() {
        return grant.fence();
    }

    /** The session that holds the lock. */
    public long sessionId() {
        return grant.sessionId();
    }

    public GrantState state() {
        return grant.state();
    }

    /** True while the grant is {@link GrantState#HELD} and this handle is not closed. */
    public boolean isHeld() {
        synchronized (holds) {
            return !closed && grant.isHeld();
        }
    }

    /** Throws unless {@link #isHeld()}: a local check, no round trip. */
    public void ensureHeld() {
        synchronized (holds) {
            if (closed) {
                throw new OwnershipLostException("lock handle is closed", path(), sessionId());
            }
        }
        grant.ensureHeld();
    }

    /** How many open handles the owner has on this grant (the reentrancy depth). */
    public int holdCount() {
        synchronized (holds) {
            return holds.grant == grant ? holds.count : 0;
        }
    }

    /** Completes when the lock is lost (session expired, node deleted); never on a normal release. */
    public CompletableFuture<Void> whenLost() {
        return grant.whenLost();
    }

    /** Calls {@code listener} with every later state change of the grant. */
    public Registration onStateChange(Consumer<GrantState> listener) {
        return grant.onStateChange(listener);
    }

    /**
     * Applies {@code ops} in one {@code multi} with a check of the lock node: all or nothing, and
     * only while the lock is held. See {@link io.github.zkrecipes.Grant#guarded}.
     */
    public List<CuratorTransactionResult> guarded(CuratorOp... ops) throws InterruptedException {
        synchronized (holds) {
            if (closed) {
                throw new OwnershipLostException("guarded operation on a closed lock handle", path(), sessionId());
            }
        }
        return grant.guarded(ops);
    }

    /**
     * Releases this acquisition; the last one deletes the lock node (one round trip; only sent if
     * the session pipelines releases; a background delete takes over if the connection is down).
     * Idempotent.
     *
     * @throws IllegalMonitorStateException if called by a thread other than the owner while the
     *     lock is still held; nothing is released
     */
    @Override
    public void close() {
        HeldGrant toRelease = null;
        synchronized (holds) {
            if (closed) {
                return;
            }
            if (Thread.currentThread() != owner && !grant.state().isTerminal()) {
                throw new IllegalMonitorStateException("lock " + path() + " is owned by thread '" + owner.getName()
                        + "'; thread '" + Thread.currentThread().getName() + "' cannot release it");
            }
            closed = true;
            if (holds.grant == grant) {
                if (--holds.count == 0) {
                    holds.clear();
                    toRelease = grant;
                }
            } else {
                toRelease = grant; // the record moved on (the grant was lost and replaced)
            }
        }
        if (toRelease != null) {
            toRelease.close(); // outside the monitor: may wait for one round trip
        }
        holds.forgetIfIdle(); // outside the record's monitor: the registry's lock comes first
    }

    @Override
    public String toString() {
        return "LockHandle[" + path() + " fence=" + fence() + " " + state() + " owner=" + owner.getName() + "]";
    }
}
