package io.github.zkrecipes.groups;

import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.Reply;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.ZkOps;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.apache.zookeeper.KeeperException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's membership of a {@link ZkGroup}: owns the member node; {@link #close()} leaves.
 *
 * <h2>States</h2>
 * <ul>
 *   <li>{@link State#ACTIVE}: the member node exists in the current session.
 *   <li>{@link State#UNCERTAIN}: the connection is suspended; the node may already be gone on the
 *       ensemble. Back to {@code ACTIVE} when the same session reconnects and a write-path check
 *       ({@code multi[check(node)]}, 1 round trip) confirmed the node; if the node was deleted by
 *       someone else meanwhile, the membership re-joins (or is {@code LOST}).
 *   <li>{@link State#REJOINING}: the session expired, so the node is gone; the membership joins
 *       again as soon as a new session is connected (auto re-join, the default).
 *   <li>{@link State#LOST}: the node is gone and the membership will not come back: auto re-join
 *       is off, or the re-join found the id taken ({@link #lostCause()} says why).
 *   <li>{@link State#LEFT}: closed, or the session was closed. Terminal.
 * </ul>
 * Listeners see every change but {@code LEFT}, in order, on the membership's own thread; one that
 * throws is logged.
 *
 * <p>Cost: {@link #update}: 1 setData (Curator retries it across a connection loss); leave: 1
 * (the member node's and the id claim's deletes, in one transaction); a re-join costs what a join
 * does (2 round trips, 1 commit); a return from {@code UNCERTAIN}: 1 multi.
 *
 * <p>Thread-safe.
 */
public final class Membership implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Membership.class);

    /** See the class comment. */
    public enum State { ACTIVE, UNCERTAIN, REJOINING, LOST, LEFT }

    /** Told of a membership's state changes. */
    @FunctionalInterface
    public interface Listener {
        void stateChanged(Membership membership, State state);
    }

    private final ZkGroup group;
    private final String memberId;
    private final boolean autoRejoin;
    private final ExecutorService thread;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    private volatile byte[] data;
    private volatile ZkGroup.Joined joined;   // the member node and id claim; guarded by lock for writes
    private volatile State state = State.ACTIVE;
    private volatile Throwable lostCause;
    private volatile boolean started; // the first join is done: until then, session events are the join's business
    private Registration sessionRegistration;

    Membership(ZkGroup group, String memberId, byte[] data, boolean autoRejoin) {
        this.group = group;
        this.memberId = memberId;
        this.data = data;
        this.autoRejoin = autoRejoin;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "zkr-group-member-" + memberId);
            t.setDaemon(true);
            return t;
        });
    }

    void start() throws InterruptedException {
        ZkSession session = group.session();
        sessionRegistration = session.addStateListener((s, id) -> post());
        try {
            ZkGroup.Joined j = group.enterUnique(memberId, data);
            synchronized (lock) {
                joined = j;
            }
            started = true;
        } catch (InterruptedException | RuntimeException e) {
            state = State.LEFT;
            sessionRegistration.close();
            thread.shutdownNow();
            throw e;
        }
        post(); // the session may have changed while joining
    }

    private void post() {
        try {
            thread.execute(this::reconcile);
        } catch (RejectedExecutionException closed) {
            // left
        }
    }

    /** Brings the state in line with the session; re-joins if needed. On the membership's thread. */
    private void reconcile() {
        if (!started || state == State.LEFT) {
            return;
        }
        ZkSession session = group.session();
        if (session.isClosed()) {
            synchronized (lock) {
                state = State.LEFT;
                joined = null; // the ensemble deleted the node with the session
            }
            thread.shutdown();
            return;
        }
        SessionState s = session.state();
        ZkGroup.Joined j = joined;
        QueueEntry e = j == null ? null : j.entry();
        if (e != null && e.sessionId() == session.sessionId() && s != SessionState.LOST) {
            if (s == SessionState.SUSPENDED) {
                change(State.UNCERTAIN);
                return;
            }
            if (state != State.UNCERTAIN) {
                change(State.ACTIVE);
                return;
            }
            // Back from SUSPENDED: a read proves nothing (the server may lag), so confirm the
            // node with a write-path check before reporting ACTIVE again.
            Boolean alive = confirm(e);
            if (alive == null) {
                return; // no answer: stay UNCERTAIN; the next RECONNECTED confirms again
            }
            if (alive) {
                change(State.ACTIVE);
                return;
            }
            LOG.warn("member node {} was deleted while its session lives; member '{}' re-joins", e.path(), memberId);
            group.leave(j);
        }
        if (state == State.LOST) {
            return;
        }
        synchronized (lock) {
            joined = null; // its session is over (or its node was deleted): the node is gone
        }
        if (!autoRejoin) {
            lostCause = new SessionLostException("session expired; auto re-join is off", group.path(),
                    e != null ? e.sessionId() : 0, null);
            change(State.LOST);
            return;
        }
        change(State.REJOINING);
        if (!s.isConnected()) {
            return; // CONNECTED (a new session) posts again
        }
        byte[] used = data;
        ZkGroup.Joined fresh;
        try {
            fresh = group.enterUnique(memberId, used);
        } catch (InterruptedException interrupted) {
            return; // closing
        } catch (DuplicateMemberException dup) {
            LOG.warn("member '{}' of {} cannot re-join: {}", memberId, group.path(), dup.getMessage());
            lostCause = dup;
            change(State.LOST);
            return;
        } catch (SessionLostException again) {
            return; // the next CONNECTED posts again
        } catch (RuntimeException failed) {
            LOG.warn("member '{}' of {} failed to re-join; trying again on the next connection", memberId,
                    group.path(), failed);
            return;
        }
        synchronized (lock) {
            if (state == State.LEFT) {
                group.leave(fresh);
                return;
            }
            joined = fresh;
        }
        LOG.info("member '{}' re-joined {} in session 0x{}", memberId, group.path(),
                Long.toHexString(fresh.entry().sessionId()));
        if (used != data) {
            try {
                write(fresh.entry(), data);
            } catch (InterruptedException interrupted) {
                return;
            } catch (RuntimeException ex) {
                LOG.warn("member '{}' re-joined with stale data", memberId, ex);
            }
        }
        reconcile(); // the session may have moved on meanwhile
    }

    /** multi[check(node)]: true if the node exists, false if it is gone, null if no answer. */
    private Boolean confirm(QueueEntry e) {
        try {
            Reply<?> r = Reply.await(ZkOps.multi(group.session().zookeeper(),
                    List.of(org.apache.zookeeper.Op.check(e.serverPath(), -1))),
                    io.github.zkrecipes.internal.queue.Deadline.after(group.session().negotiatedSessionTimeout()));
            if (r == null || r.connectionTrouble()) {
                return null;
            }
            return r.ok() ? Boolean.TRUE : r.code() == org.apache.zookeeper.KeeperException.Code.NONODE ? Boolean.FALSE : null;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException closed) {
            return null;
        }
    }

    private void change(State next) {
        State prev;
        synchronized (lock) {
            prev = state;
            if (prev == next || prev == State.LEFT) {
                return;
            }
            state = next;
        }
        for (Listener l : listeners) {
            try {
                l.stateChanged(this, next);
            } catch (RuntimeException ex) {
                LOG.warn("membership listener {} threw on {}", l, next, ex);
            }
        }
    }

    /**
     * Replaces this member's data (1 setData). While re-joining, the new data is kept and the
     * re-join uses it.
     *
     * @throws IllegalStateException if the membership was left or lost
     * @throws OwnershipLostException if the member node was deleted by someone else while the
     *     session lives
     */
    public void update(byte[] newData) throws InterruptedException {
        byte[] copy = Objects.requireNonNull(newData, "data").clone();
        if (copy.length > io.github.zkrecipes.internal.queue.SequentialQueue.MAX_DATA_BYTES - MemberData.MAX_ID_LENGTH * 4) {
            throw new IllegalArgumentException("data of " + copy.length + " bytes for member '" + memberId
                    + "' is over the node size limit");
        }
        State s = state;
        if (s == State.LEFT || s == State.LOST) {
            throw new IllegalStateException("member '" + memberId + "' of " + group.path() + " is " + s);
        }
        data = copy;
        ZkGroup.Joined j = joined;
        if (j != null) {
            write(j.entry(), copy);
        }
    }

    /** As {@link #update(byte[])}, with UTF-8 text. */
    public void update(String newData) throws InterruptedException {
        update(Objects.requireNonNull(newData, "data").getBytes(StandardCharsets.UTF_8));
    }

    private void write(QueueEntry e, byte[] payload) throws InterruptedException {
        ZkSession session = group.session();
        try {
            session.curator().setData().forPath(e.path(), MemberData.encode(memberId, payload));
        } catch (InterruptedException ex) {
            throw ex;
        } catch (KeeperException.NoNodeException ex) {
            if (session.sessionId() == e.sessionId() && session.state() != SessionState.LOST) {
                throw new OwnershipLostException("member node of '" + memberId + "' was deleted while its session lives",
                        e.path(), e.sessionId());
            }
            // expired: the re-join writes the new data
        } catch (Exception ex) {
            throw new CoordinationException("cannot update member '" + memberId + "'", e.path(), e.sessionId(), ex);
        }
    }

    /** Adds a listener for later state changes; the registration removes it. */
    public Registration addListener(Listener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return () -> listeners.remove(listener);
    }

    public String memberId() {
        return memberId;
    }

    public ZkGroup group() {
        return group;
    }

    /** A copy of the member's current data. */
    public byte[] data() {
        return data.clone();
    }

    public State state() {
        return state;
    }

    /** Why the membership is {@link State#LOST}, or null. */
    public Throwable lostCause() {
        return lostCause;
    }

    /** The member node's path (without the namespace), or null while there is none. */
    public String node() {
        ZkGroup.Joined j = joined;
        return j == null ? null : j.entry().path();
    }

    /** The session that owns the member node, or 0 while there is none. */
    public long sessionId() {
        ZkGroup.Joined j = joined;
        return j == null ? 0 : j.entry().sessionId();
    }

    /** Leaves the group: same as {@link #close()}. */
    public void leave() {
        close();
    }

    /**
     * Leaves the group: deletes the member node (1 round trip, or in the background if the
     * connection is down) and stops re-joining. Idempotent; never blocks unboundedly.
     */
    @Override
    public void close() {
        ZkGroup.Joined j;
        synchronized (lock) {
            if (state == State.LEFT) {
                return;
            }
            state = State.LEFT;
            j = joined;
            joined = null;
        }
        if (sessionRegistration != null) {
            sessionRegistration.close();
        }
        thread.shutdownNow(); // interrupts a re-join in progress, which removes its node
        if (j != null) {
            group.leave(j);
        }
    }

    @Override
    public String toString() {
        return "Membership[" + memberId + " in " + group.path() + ", " + state + "]";
    }
}
