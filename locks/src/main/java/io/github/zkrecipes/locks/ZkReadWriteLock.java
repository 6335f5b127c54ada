package io.github.zkrecipes.locks;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.Decision;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueNode;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.WaitRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A fair distributed read-write lock: readers share it, a writer holds it alone, in order of
 * arrival.
 *
 * <pre>{@code
 * ZkReadWriteLock rw = new ZkReadWriteLock(session, "/locks/catalog");
 * try (LockHandle read = rw.acquireRead()) { ... }
 * try (LockHandle write = rw.acquireWrite()) { write.guarded(...); }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Fair, no writer starvation:</b> a reader waits for the last writer that arrived before
 *       it, a writer for the node just ahead of it, so a reader arriving after a waiting writer
 *       waits behind it. Nobody ever waits on a node created after its own.
 *   <li><b>Reentrant, owned by the thread:</b> read in read, write in write, and read in write: a
 *       <em>downgrade</em>. The writer's read lock is placed beside its write node (same sequence
 *       number), so after the write lock is released, readers that queued meanwhile proceed
 *       together with it while writers that queued meanwhile keep waiting for it.
 *   <li><b>No upgrade:</b> acquiring the write lock while holding only the read lock would
 *       deadlock with any other reader doing the same; it is refused with an {@link
 *       IllegalStateException} and nothing is created.
 *   <li>Handles, fences, states and guarded writes as for {@link ZkLock}.
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * Acquire while compatible: 1 (create and list, pipelined). A waiter: +1 to watch, and because a
 * downgrade may place a node ahead, +1 listing to confirm before it is granted after a wait.
 * Reentrant acquire: 0. Downgrade: 2 (one multi that creates the read node and announces it,
 * one exists for its fence). Release: 1 delete (not waited for if the session pipelines releases).
 *
 * <h2>Threads</h2>
 * An immutable, thread-safe descriptor; no I/O in the constructor.
 */
public final class ZkReadWriteLock {
    /** A writer waits for the node just ahead of it, whatever its kind. */
    static final WaitRule WRITE = new WaitRule() {
        @Override
        public Decision decide(List<QueueNode> ahead, QueueNode me) {
            return ahead.isEmpty() ? Decision.granted() : Decision.waitFor(ahead.get(ahead.size() - 1));
        }

        @Override
        public boolean allowsInsertion() {
            return true;
        }
    };

    /** A reader waits for the last writer ahead of it, if any. */
    static final WaitRule READ = new WaitRule() {
        @Override
        public Decision decide(List<QueueNode> ahead, QueueNode me) {
            for (int i = ahead.size() - 1; i >= 0; i--) {
                NodeKind k = ahead.get(i).kind();
                if (k == NodeKind.WRITE || k == NodeKind.LOCK) {
                    return Decision.waitFor(ahead.get(i));
                }
            }
            return Decision.granted();
        }

        @Override
        public boolean allowsInsertion() {
            return true;
        }
    };

    private final ZkSession session;
    private final SequentialQueue queue;

    /**
     * A read-write lock on the directory {@code path}.
     *
     * @throws IllegalArgumentException naming the path if it is not a valid znode path
     */
    public ZkReadWriteLock(ZkSession session, String path) {
        this.session = Objects.requireNonNull(session, "session");
        this.queue = new SequentialQueue(session, path);
    }

    public String path() {
        return queue.path();
    }

    /** Acquires the read lock, waiting as long as it takes. */
    public LockHandle acquireRead() throws InterruptedException {
        return read(Deadline.none()).orElseThrow();
    }

    /** Acquires the read lock if it can within {@code timeout}; empty on timeout. */
    public Optional<LockHandle> tryAcquireRead(Duration timeout) throws InterruptedException {
        return read(Deadline.after(Validation.timeout(timeout)));
    }

    /**
     * Acquires the write lock, waiting as long as it takes.
     *
     * @throws IllegalStateException if the calling thread holds only the read lock (no upgrade)
     */
    public LockHandle acquireWrite() throws InterruptedException {
        return write(Deadline.none()).orElseThrow();
    }

    /** Acquires the write lock if it can within {@code timeout}; empty on timeout. */
    public Optional<LockHandle> tryAcquireWrite(Duration timeout) throws InterruptedException {
        return write(Deadline.after(Validation.timeout(timeout)));
    }

    private Optional<LockHandle> read(Deadline deadline) throws InterruptedException {
        Reentrant.checkInterrupt(path());
        Holds reads = Holds.useOfCurrentThread(session, path(), "read");
        try {
            LockHandle again = Reentrant.reenter(reads);
            if (again != null) {
                return Optional.of(again);
            }
            Holds writes = Holds.peek(session, path(), "write");
            HeldGrant write = null;
            if (writes != null) {
                synchronized (writes) {
                    write = writes.heldBy(Thread.currentThread());
                }
            }
            if (write != null) {
                // Downgrade: a read node beside our write node, ahead of everyone who came after it.
                HeldGrant grant = new HeldGrant(queue.insertBeside(write.entry(), NodeKind.READ,
                        Participant.current(session).encode()));
                return Optional.of(Reentrant.own(reads, grant));
            }
            return Reentrant.join(session, queue, reads, NodeKind.READ, READ, deadline);
        } finally {
            reads.done();
        }
    }

    private Optional<LockHandle> write(Deadline deadline) throws InterruptedException {
        Reentrant.checkInterrupt(path());
        Holds writes = Holds.use(session, path(), "write");
        try {
            LockHandle again = Reentrant.reenter(writes);
            if (again != null) {
                return Optional.of(again);
            }
            Holds reads = Holds.peekOfCurrentThread(session, path(), "read");
            if (reads != null) {
                synchronized (reads) {
                    if (reads.heldBy(Thread.currentThread()) != null) {
                        throw new IllegalStateException("read-write lock " + path() + ": upgrading a read lock to a"
                                + " write lock is refused (it would deadlock with another reader doing the same);"
                                + " release the read lock first");
                    }
                }
            }
            return Reentrant.join(session, queue, writes, NodeKind.WRITE, WRITE, deadline);
        } finally {
            writes.done();
        }
    }

    /** The nodes holding the lock now: one writer, or the readers ahead of the first writer. */
    public List<RecipeNode> holders() throws InterruptedException {
        List<RecipeNode> all = queue();
        List<RecipeNode> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            RecipeNode n = all.get(i);
            boolean writer = !n.kind().equals(NodeKind.READ.segment());
            if (writer) {
                if (i == 0) {
                    out.add(n);
                }
                break;
            }
            out.add(n);
        }
        return out;
    }

    /** Everyone, holders first, in queue order (about 2 round trips). */
    public List<RecipeNode> queue() throws InterruptedException {
        return queue.recipeNodes().stream().filter(n -> n.kind().equals(NodeKind.READ.segment())
                || n.kind().equals(NodeKind.WRITE.segment())).toList();
    }

    @Override
    public String toString() {
        return "ZkReadWriteLock[" + path() + "]";
    }
}
