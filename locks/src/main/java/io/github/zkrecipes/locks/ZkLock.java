package io.github.zkrecipes.locks;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.WaitRule;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A fair, reentrant distributed lock: at most one holder at a time among every client of the
 * ensemble, granted in order of arrival.
 *
 * <pre>{@code
 * ZkLock lock = new ZkLock(session, "/locks/nightly-report");
 * try (LockHandle held = lock.acquire()) {
 *     long fence = held.fence();          // pass it to the resource you protect
 *     held.guarded(session.curator().transactionOp().setData().forPath("/report/state", bytes));
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Exclusion, as far as ZooKeeper can give it:</b> the lock is held exactly while its node
 *       exists. A holder paused longer than its session timeout can still <em>believe</em> it holds
 *       it after the ensemble granted someone else; use {@link LockHandle#fence()} (larger for
 *       every new holder) or {@link LockHandle#guarded} (rejected once the node is gone) where that
 *       matters, and stop when the handle turns {@code UNCERTAIN} or {@code LOST}.
 *   <li><b>Fair:</b> first come, first served, by ZooKeeper's sequence order.
 *   <li><b>Reentrant, owned by the thread:</b> a thread that holds the lock (through any {@code
 *       ZkLock} on the same session and path) acquires it again at once, with no round trip, and
 *       gets another handle on the same grant; the lock is released when the last handle is
 *       closed. Only the owner thread may close them.
 *   <li><b>Nothing left behind:</b> a timed-out, interrupted or failed acquire removes its node
 *       and its watch; a release during a connection loss completes in the background.
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * Uncontended acquire: 1 (create and list, pipelined). Contended: +1 to watch the predecessor.
 * Handover: a release wakes only the next waiter, which is granted with no round trip if its
 * predecessor was the holder when it last listed, else after one listing (a read, answered from
 * the server's memory; no fsync). Reentrant acquire: 0. Release: 1 delete (sent without waiting if the session pipelines releases). {@link #holder()},
 * {@link #queue()}: about 2.
 *
 * <h2>Connection states</h2>
 * Waiters ride through a suspended connection until their deadline and fail with {@link
 * io.github.zkrecipes.SessionLostException} if the session is lost. Holders' handles turn {@code UNCERTAIN} on
 * suspension, back to {@code HELD} after a confirming write on reconnection, or {@code LOST}.
 *
 * <h2>Threads</h2>
 * A {@code ZkLock} is an immutable descriptor (session and path): cheap, thread-safe, no I/O in
 * the constructor. Many threads of one JVM may wait on one lock: each release wakes one of them.
 *
 * <h2>Not guaranteed</h2>
 * Mutual exclusion against a holder that ignores {@code UNCERTAIN}/{@code LOST} and writes
 * without fence or guard after a pause longer than the session timeout: nobody can give that.
 */
public final class ZkLock {
    private final ZkSession session;
    private final SequentialQueue queue;

    /**
     * A lock on the directory {@code path} (created as a container on first use).
     *
     * @throws IllegalArgumentException naming the path if it is not a valid znode path
     */
    public ZkLock(ZkSession session, String path) {
        this.session = Objects.requireNonNull(session, "session");
        this.queue = new SequentialQueue(session, path);
    }

    /** The lock's directory. */
    public String path() {
        return queue.path();
    }

    /**
     * Acquires the lock, waiting as long as it takes.
     *
     * @throws InterruptedException if interrupted while waiting; nothing is left behind
     * @throws io.github.zkrecipes.SessionLostException if the session was lost while waiting
     */
    public LockHandle acquire() throws InterruptedException {
        return acquire(Deadline.none()).orElseThrow();
    }

    /**
     * Acquires the lock if it can within {@code timeout}. Zero or negative means "only if free
     * now" (the request's own round trip is still made).
     *
     * @return the handle, or empty if the timeout passed first (nothing is left behind)
     * @throws IllegalArgumentException if {@code timeout} is null
     * @throws InterruptedException if interrupted while waiting; nothing is left behind
     */
    public Optional<LockHandle> tryAcquire(Duration timeout) throws InterruptedException {
        return acquire(Deadline.after(Validation.timeout(timeout)));
    }

    private Optional<LockHandle> acquire(Deadline deadline) throws InterruptedException {
        Reentrant.checkInterrupt(path());
        Holds holds = Holds.use(session, path(), "lock");
        try {
            LockHandle again = Reentrant.reenter(holds);
            if (again != null) {
                return Optional.of(again);
            }
            return Reentrant.join(session, queue, holds, NodeKind.LOCK, WaitRule.EXCLUSIVE, deadline);
        } finally {
            holds.done();
        }
    }

    /** True if the calling thread holds this lock (through this session). No round trip. */
    public boolean isHeldByCurrentThread() {
        Holds holds = Holds.peek(session, path(), "lock");
        if (holds == null) {
            return false;
        }
        synchronized (holds) {
            return holds.heldBy(Thread.currentThread()) != null;
        }
    }

    /** The current holder, read from the server (about 2 round trips). */
    public Optional<RecipeNode> holder() throws InterruptedException {
        List<RecipeNode> q = queue();
        return q.isEmpty() ? Optional.empty() : Optional.of(q.get(0));
    }

    /** The waiters, in the order they will be granted (about 2 round trips). */
    public List<RecipeNode> waiters() throws InterruptedException {
        List<RecipeNode> q = queue();
        return q.isEmpty() ? List.of() : q.subList(1, q.size());
    }

    /** Holder first, then waiters in order, with owner identity, session, fence and age. */
    public List<RecipeNode> queue() throws InterruptedException {
        return queue.recipeNodes().stream().filter(n -> n.kind().equals(NodeKind.LOCK.segment())).toList();
    }

    @Override
    public String toString() {
        return "ZkLock[" + path() + "]";
    }
}
