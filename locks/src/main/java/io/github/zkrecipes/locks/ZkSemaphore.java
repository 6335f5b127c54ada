package io.github.zkrecipes.locks;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A fair counting semaphore across the ensemble: at most N permits are held at once, by any
 * number of clients.
 *
 * <pre>{@code
 * ZkSemaphore connections = new ZkSemaphore(session, "/semaphores/db", 10);
 * try (Lease lease = connections.acquire(2)) {   // both permits or none
 *     useTwoConnections(lease.fence());
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>At most N:</b> permits are held exactly while their lease nodes exist; {@code
 *       acquire(k)} takes all {@code k} or none (one node carries the count).
 *   <li><b>FIFO, work-conserving, herd-free:</b> leases are granted in arrival order; the head
 *       waiter watches every holder, so a permit freed by anyone goes to it at once, and a release
 *       wakes only it. The next waiter is woken when the head is granted (a baton: one data
 *       change), not by releases.
 *   <li><b>Permits come back</b> when a holder's session dies (its nodes are ephemeral), and when a
 *       timed-out or interrupted acquire gives up (its node is removed): no orphaned lease blocks
 *       the semaphore.
 *   <li><b>N is stored with the semaphore</b> (its directory's data). The first participant
 *       defines it; one that declares a different N gets an {@link IllegalStateException} naming
 *       both. {@link #setPermits(int)} changes it explicitly; waiters see the change at once (the
 *       head waiter watches it), and participants that declared the old N are told to re-read it.
 *       While nobody holds or waits, the directory is a container the server may remove, and N
 *       with it.
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * acquire: 1 to create, list and read N (pipelined; +2 the first time, to define N); a waiter +1 to watch (the head waiter's
 * watches on every holder are pipelined into that one); the head waiter's grant after a release:
 * 0 listings, plus one data change (the baton) if someone waits behind it; the next waiter's move
 * to the head on that baton: 2 (one listing with N, one to watch the holders). Release: 1 delete
 * (not waited for if the session pipelines releases).
 *
 * <h2>Threads</h2>
 * An immutable, thread-safe descriptor; no I/O in the constructor. Leases may be closed by any
 * thread.
 */
public final class ZkSemaphore {
    private final ZkSession session;
    private final SequentialQueue queue;
    private volatile int permits;

    /**
     * A semaphore of {@code permits} permits on the directory {@code path}.
     *
     * @throws IllegalArgumentException naming the value if {@code permits} is below 1 or the path
     *     is invalid
     */
    public ZkSemaphore(ZkSession session, String path, int permits) {
        this.session = Objects.requireNonNull(session, "session");
        this.queue = new SequentialQueue(session, path);
        if (permits < 1) {
            throw new IllegalArgumentException("a semaphore needs at least 1 permit, was " + permits + " for " + path);
        }
        this.permits = permits;
    }

    public String path() {
        return queue.path();
    }

    /** Acquires one permit, waiting as long as it takes. */
    public Lease acquire() throws InterruptedException {
        return acquire(1);
    }

    /** Acquires {@code count} permits atomically, waiting as long as it takes. */
    public Lease acquire(int count) throws InterruptedException {
        return acquire(count, Deadline.none()).orElseThrow();
    }

    /** Acquires one permit if it can within {@code timeout}; empty on timeout. */
    public Optional<Lease> tryAcquire(Duration timeout) throws InterruptedException {
        return tryAcquire(1, timeout);
    }

    /**
     * Acquires {@code count} permits atomically if it can within {@code timeout}. Zero or negative
     * means "only if free now".
     *
     * @return the lease, or empty if the timeout passed first (nothing is left behind)
     * @throws IllegalArgumentException if {@code count} is below 1 or above N, or the timeout is null
     * @throws IllegalStateException if the semaphore stores a different N than this one declares
     */
    public Optional<Lease> tryAcquire(int count, Duration timeout) throws InterruptedException {
        return acquire(count, Deadline.after(Validation.timeout(timeout)));
    }

    private Optional<Lease> acquire(int count, Deadline deadline) throws InterruptedException {
        if (count < 1) {
            throw new IllegalArgumentException("permit count must be at least 1, was " + count + " for " + path());
        }
        if (count > permits) {
            throw new IllegalArgumentException("asked for " + count + " permits of " + path() + ", which has " + permits);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException("interrupted before acquiring " + path());
        }
        session.ensureOpen();
        // N is read in the create's round trip (after the create, so any N set before it counts);
        // only an undefined N (a new or reaped directory) costs more: it is defined, by CAS.
        QueueEntry entry = queue.enterReadingDirectory(NodeKind.LEASE, count, Participant.current(session).encode(), deadline);
        if (entry == null) {
            return Optional.empty();
        }
        boolean granted = false;
        try {
            int stored = SemaphoreDefinition.parse(entry.directoryData());
            if (stored <= 0) {
                stored = SemaphoreDefinition.readOrDefine(session, path(), permits);
            }
            if (stored != permits) {
                throw new IllegalStateException("semaphore " + path() + " has " + stored + " permits; this participant declared "
                        + permits + " (read the current value with permits(), or change it with setPermits)");
            }
            granted = queue.await(entry, new PermitRule(stored, count), deadline);
        } finally {
            if (!granted) {
                queue.remove(entry);
            }
        }
        if (!granted) {
            return Optional.empty();
        }
        Optional<QueueEntry> held = Optional.of(entry);
        Lease lease = new Lease(held.get());
        if (lease.state().isTerminal()) {
            throw new SessionLostException("session lost as the lease was granted", lease.path(), lease.sessionId(), null);
        }
        return Optional.of(lease);
    }

    /** N as stored with the semaphore (one round trip), defining it as declared if nobody has. */
    public int permits() throws InterruptedException {
        return SemaphoreDefinition.readOrDefine(session, path(), permits);
    }

    /**
     * Changes N for every participant: a compare-and-set from the N this object declared. Waiters
     * are re-evaluated at once. Lowering N takes no permits back: holders keep theirs, and new
     * leases wait until the total fits.
     *
     * @throws IllegalArgumentException if {@code newPermits} is below 1
     * @throws IllegalStateException if someone else changed N first (nothing changed)
     */
    public void setPermits(int newPermits) throws InterruptedException {
        if (newPermits < 1) {
            throw new IllegalArgumentException("a semaphore needs at least 1 permit, was " + newPermits + " for " + path());
        }
        int expected = permits;
        if (!SemaphoreDefinition.compareAndSet(session, path(), expected, newPermits)) {
            throw new IllegalStateException("semaphore " + path() + " no longer has " + expected
                    + " permits: someone changed it; nothing was changed");
        }
        permits = newPermits;
    }

    /** The leases being held, in order (about 3 round trips). */
    public List<RecipeNode> holders() throws InterruptedException {
        return split(true);
    }

    /** The leases waiting, in the order they will be granted (about 3 round trips). */
    public List<RecipeNode> waiters() throws InterruptedException {
        return split(false);
    }

    private List<RecipeNode> split(boolean holders) throws InterruptedException {
        int n = permits();
        List<RecipeNode> out = new ArrayList<>();
        long used = 0;
        boolean waiting = false;
        for (RecipeNode node : queue.recipeNodes()) {
            if (!node.kind().equals(NodeKind.LEASE.segment())) {
                continue;
            }
            used += node.weight();
            waiting |= used > n;
            if (waiting != holders) {
                out.add(node);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "ZkSemaphore[" + path() + ", " + permits + " permits]";
    }
}
