package io.github.zkrecipes;

import io.github.zkrecipes.internal.queue.QueueEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Something a session holds on the ensemble (a lock, a semaphore lease, a leadership), embodied by
 * one ephemeral node. Recipes return subtypes of this handle; they only add methods.
 *
 * <h2>Fencing</h2>
 * ZooKeeper cannot make a grant a true mutual exclusion: a holder paused for longer than its
 * session timeout (a GC pause, a stalled VM, a partition) still believes it holds the grant while
 * the ensemble has already expired its session and granted someone else. No lock service can tell
 * a slow client from a dead one. Two tools close the gap:
 * <ul>
 *   <li>{@link #fence()}: the {@code czxid} of the grant's node. ZooKeeper's transaction ids only
 *       grow, so every later holder of the same recipe has a strictly larger fence (also after the
 *       recipe's directory was deleted and re-created). A resource that remembers the largest
 *       fence it saw, and refuses smaller ones, refuses a stale holder.
 *   <li>{@link #guarded}: your ZooKeeper writes in one {@code multi} with a {@code check} of the
 *       grant's node. The ensemble applies them only while the node exists, so a deposed holder's
 *       guarded write always fails, with {@link OwnershipLostException}, and applies nothing.
 * </ul>
 *
 * <h2>States</h2>
 * {@link GrantState#HELD} → {@link GrantState#UNCERTAIN} when the connection is suspended →
 * {@code HELD} again when the same session is back and a write ({@code multi[check]}, one round
 * trip) confirmed the node → or {@link GrantState#LOST} when the session expired or the node is
 * gone; {@link GrantState#RELEASED} after {@link #close()} or when the session is closed. Listeners
 * ({@link #onStateChange}) and {@link #whenLost()} tell you without wiring a connection listener.
 * Treat {@code UNCERTAIN} as "not owner": stop acting until it is {@code HELD} again.
 *
 * <h2>Cost</h2>
 * {@link #close()}: one delete. {@link #guarded}: one multi. Reconnection: one multi per grant.
 *
 * <h2>Threads</h2>
 * Thread-safe. State listeners run one at a time on the session's event thread or a ZooKeeper
 * callback thread; they must not block.
 */
public class Grant implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Grant.class);

    private final QueueEntry entry;
    private final ZkSession session;
    private final Object lock = new Object();
    private final CompletableFuture<Void> lost = new CompletableFuture<>();
    private final List<Consumer<GrantState>> listeners = new ArrayList<>();
    private final Registration sessionRegistration;
    private GrantState state;
    private boolean deleteOwed; // released by releaseNow(), node not deleted yet; guarded by lock
    private int suspensions; // guards re-validation against a suspension that came after it was sent

    /** For recipe modules: a grant for an entry the queue engine granted. */
    protected Grant(QueueEntry entry) {
        this.entry = Objects.requireNonNull(entry, "entry");
        this.session = entry.queue().session();
        int generation;
        synchronized (lock) {
            // UNCERTAIN until the listener is in place: a state change published meanwhile is then
            // either seen by the listener or by the check below, never by neither.
            this.state = GrantState.UNCERTAIN;
            generation = suspensions;
        }
        Registration r;
        try {
            r = session.addStateListener(this::onSessionState);
        } catch (IllegalStateException closed) {
            r = () -> { };
            transition(GrantState.RELEASED);
        }
        this.sessionRegistration = r;
        if (session.sessionId() != entry.sessionId() || session.state() == SessionState.LOST) {
            transition(GrantState.LOST);
        } else if (session.state().isConnected()) {
            synchronized (lock) {
                if (suspensions == generation && state == GrantState.UNCERTAIN) {
                    state = GrantState.HELD; // nobody can have subscribed yet: no one to notify
                }
            }
        } // else suspended now: the listener re-validates on RECONNECTED
        synchronized (lock) {
            if (!state.isTerminal()) {
                return;
            }
        }
        r.close(); // ended before the registration was stored: transition() could not close it
    }

    /** The grant's node path (without the session's namespace). */
    public String path() {
        return entry.path();
    }

    /** The fencing token: the {@code czxid} of the grant's node. Larger for every later holder. */
    public long fence() {
        return entry.czxid();
    }

    /** The ZooKeeper session that holds the grant. */
    public long sessionId() {
        return entry.sessionId();
    }

    /** The session this grant belongs to. */
    public ZkSession session() {
        return session;
    }

    public GrantState state() {
        synchronized (lock) {
            return state;
        }
    }

    /** True while {@link #state()} is {@link GrantState#HELD}. */
    public boolean isHeld() {
        return state() == GrantState.HELD;
    }

    /**
     * Throws unless the grant is {@link GrantState#HELD}. A local check (no round trip): use
     * {@link #guarded} where the decision must be the ensemble's.
     *
     * @throws OwnershipLostException if the grant is uncertain, lost or released
     */
    public void ensureHeld() {
        GrantState s = state();
        if (s != GrantState.HELD) {
            throw new OwnershipLostException("grant is " + s, path(), sessionId());
        }
    }

    /**
     * Completes when the grant is {@link GrantState#LOST}; never completes if it is released
     * normally. Each call returns a new future: completing it yourself changes nothing.
     */
    public CompletableFuture<Void> whenLost() {
        return lost.copy();
    }

    /**
     * Calls {@code listener} with every later state change, in order. The registration removes
     * it. A listener that throws is logged.
     */
    public Registration onStateChange(Consumer<GrantState> listener) {
        Objects.requireNonNull(listener, "listener");
        synchronized (lock) {
            listeners.add(listener);
        }
        return () -> {
            synchronized (lock) {
                listeners.remove(listener);
            }
        };
    }

    /**
     * Applies {@code ops} atomically, only while this grant's node exists: one ZooKeeper {@code
     * multi} of {@code check(node)} followed by the ops. Build ops with {@code
     * session.curator().transactionOp()} (paths relative to the session's namespace).
     *
     * @return the results of {@code ops} (the check's result left out)
     * @throws OwnershipLostException if the grant is released or lost, or the ensemble found its
     *     node gone; nothing was applied
     * @throws CoordinationException if one of {@code ops} failed (nothing was applied; the cause
     *     names the op and its error), or the outcome is unknown after connection loss
     * @throws InterruptedException if interrupted while waiting for the ensemble
     */
    public List<CuratorTransactionResult> guarded(CuratorOp... ops) throws InterruptedException {
        GrantState s = state();
        if (s.isTerminal()) {
            throw new OwnershipLostException("guarded operation on a grant that is " + s, path(), sessionId());
        }
        List<CuratorOp> all = new ArrayList<>(ops.length + 1);
        try {
            all.add(session.curator().transactionOp().check().forPath(path()));
        } catch (Exception e) {
            throw new CoordinationException("cannot build the ownership check", path(), sessionId(), e);
        }
        for (CuratorOp op : ops) {
            all.add(Objects.requireNonNull(op, "op"));
        }
        try {
            List<CuratorTransactionResult> results = session.curator().transaction().forOperations(all);
            return results.subList(1, results.size());
        } catch (InterruptedException e) {
            throw e;
        } catch (KeeperException e) {
            throw guardedFailure(e, all);
        } catch (Exception e) {
            throw new CoordinationException("guarded operation failed", path(), sessionId(), e);
        }
    }

    private RuntimeException guardedFailure(KeeperException e, List<CuratorOp> all) {
        List<OpResult> results = e.getResults();
        if (results != null && !results.isEmpty()) {
            if (results.get(0) instanceof OpResult.ErrorResult er && er.getErr() != Code.OK.intValue()) {
                transition(GrantState.LOST);
                return new OwnershipLostException("the ensemble found the grant's node gone; nothing was applied",
                        path(), sessionId());
            }
            for (int i = 1; i < results.size(); i++) {
                if (results.get(i) instanceof OpResult.ErrorResult er && er.getErr() != Code.OK.intValue()
                        && er.getErr() != Code.RUNTIMEINCONSISTENCY.intValue()) {
                    String opPath = all.get(i).getTypeAndPath().getForPath();
                    return new CoordinationException("guarded operation #" + i + " on " + opPath + " failed with "
                            + Code.get(er.getErr()) + "; nothing was applied", path(), sessionId(), e);
                }
            }
        }
        if (e.code() == Code.SESSIONEXPIRED) {
            transition(GrantState.LOST);
            return new OwnershipLostException("session expired; nothing was applied", path(), sessionId());
        }
        if (e.code() == Code.NOAUTH) {
            return new AccessDeniedException("guarded operation not allowed", path(), sessionId(), e);
        }
        if (e.code() == Code.CONNECTIONLOSS || e.code() == Code.OPERATIONTIMEOUT) {
            return new CoordinationException("guarded operation: connection lost, outcome unknown", path(),
                    sessionId(), e);
        }
        return new CoordinationException("guarded operation failed: " + e.code(), path(), sessionId(), e);
    }

    /**
     * Releases the grant: its node is deleted, one round trip, and when this returns every client
     * can be granted (a session built with {@code pipelinedRelease(true)} only sends the delete:
     * see {@link ZkSession.Builder#pipelinedRelease(boolean)}). If the connection is down or the
     * delete fails for connection trouble, this returns at once and a background delete retries
     * until it succeeds or the session ends, so the grant never stays blocked by this holder.
     * Idempotent; never throws; a lost grant needs no release.
     */
    @Override
    public void close() {
        boolean owed;
        synchronized (lock) {
            owed = deleteOwed;
            deleteOwed = false;
            if (state.isTerminal() && !owed) {
                return;
            }
        }
        if (!owed) {
            transition(GrantState.RELEASED);
        }
        entry.queue().release(entry);
    }

    /**
     * Ends the grant here at once ({@link GrantState#RELEASED}: {@link #isHeld()} is false when
     * this returns), and leaves the delete to a later {@link #close()}, for a subclass whose
     * release is completed by another thread (an election's resign). No round trip.
     */
    protected final void releaseNow() {
        synchronized (lock) {
            if (state.isTerminal()) {
                return;
            }
            deleteOwed = true;
        }
        transition(GrantState.RELEASED);
    }

    private void onSessionState(SessionState s, long id) {
        switch (s) {
            case SUSPENDED -> {
                synchronized (lock) {
                    suspensions++;
                }
                transitionIf(GrantState.HELD, GrantState.UNCERTAIN);
            }
            case RECONNECTED -> revalidate();
            case LOST -> {
                if (id == entry.sessionId()) {
                    transition(GrantState.LOST);
                }
            }
            case CONNECTED -> {
                if (id != entry.sessionId()) {
                    transition(GrantState.LOST);
                }
            }
            case CLOSED -> transition(GrantState.RELEASED);
            default -> { }
        }
    }

    /**
     * The same session is back: the node should still exist, but a read could come from a lagging
     * server, so confirm with a write: {@code multi[check(node)]}, one round trip.
     */
    private void revalidate() {
        int generation;
        synchronized (lock) {
            if (state != GrantState.UNCERTAIN) {
                return;
            }
            generation = suspensions;
        }
        ZooKeeper zk;
        try {
            zk = session.zookeeper();
        } catch (RuntimeException e) {
            return;
        }
        if (zk.getSessionId() != entry.sessionId()) {
            transition(GrantState.LOST);
            return;
        }
        zk.multi(List.of(Op.check(entry.serverPath(), -1)), (rc, p, ctx, results) -> {
            Code code = Code.get(rc);
            if (code == Code.OK) {
                synchronized (lock) {
                    if (suspensions != generation || !session.state().isConnected()) {
                        return; // suspended again meanwhile: the next RECONNECTED checks again
                    }
                }
                transitionIf(GrantState.UNCERTAIN, GrantState.HELD);
            } else if (code == Code.NONODE || code == Code.SESSIONEXPIRED
                    || (results != null && !results.isEmpty() && results.get(0) instanceof OpResult.ErrorResult er
                            && er.getErr() == Code.NONODE.intValue())) {
                transition(GrantState.LOST);
            } else {
                LOG.debug("re-validation of {} inconclusive: {}", path(), code);
            }
        }, null);
    }

    private void transitionIf(GrantState expected, GrantState next) {
        List<Consumer<GrantState>> snapshot;
        synchronized (lock) {
            if (state != expected) {
                return;
            }
            state = next;
            snapshot = new ArrayList<>(listeners);
            notifyListeners(snapshot, next);
        }
    }

    /** Moves to {@code next} unless already terminal. */
    protected final void transition(GrantState next) {
        synchronized (lock) {
            if (state != null && state.isTerminal()) {
                return;
            }
            state = next;
            if (next == GrantState.LOST) {
                LOG.info("grant {} (fence {}) lost", path(), fence());
                lost.complete(null);
            }
            notifyListeners(new ArrayList<>(listeners), next);
            if (next.isTerminal()) {
                listeners.clear();
            }
        }
        if (next.isTerminal() && sessionRegistration != null) {
            sessionRegistration.close();
        }
    }

    private void notifyListeners(List<Consumer<GrantState>> snapshot, GrantState s) {
        for (Consumer<GrantState> l : snapshot) {
            try {
                l.accept(s);
            } catch (RuntimeException e) {
                LOG.warn("grant state listener threw on {}", s, e);
            }
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + path() + " fence=" + fence() + " " + state() + "]";
    }
}
