package io.github.zkrecipes.election;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.Participant;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.WaitRule;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One participant's standing in a {@link ZkElection}, latch style: start it, and it stays a
 * candidate (leading or waiting) until closed, across connection losses and session expiry.
 *
 * <pre>{@code
 * try (Candidacy me = election.join()) {
 *     Leadership term = me.awaitLeadership();
 *     while (me.isLeader()) {
 *         term.guarded(session.curator().transactionOp().setData().forPath("/index/head", bytes));
 *     }
 * }
 * }</pre>
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>One leader per term, as far as ZooKeeper can give it:</b> a candidate leads while its
 *       node is the first in the election directory. Each term has an {@link Leadership#epoch()}
 *       that is larger than every earlier term's; writes made with {@link Leadership#guarded} are
 *       rejected once the term is over.
 *   <li><b>{@link #isLeader()} is never stale on this side:</b> it turns false at once when the
 *       connection is suspended, the session is lost or closed, or the candidacy is closed or
 *       resigns (before its node is deleted, so it is false before anyone else can lead).
 *   <li><b>One serialized state machine:</b> one election thread per candidacy makes every
 *       decision; watch and session events only post to it. It holds at most one node at a time
 *       and makes a new one only after the previous one is gone (a resign, or a session expiry
 *       followed by a new session): any number of connection resets within the session timeout
 *       create no node at all, and an expiry creates one.
 *   <li><b>Never silently dead:</b> an error the election cannot ride through puts it in {@link
 *       ElectionState#FAILED}, with {@link #failure()}, and tells the listeners.
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * Join, uncontended: 1 (create and list, pipelined). Waiting: +1 (one getData watch, on the
 * candidate just ahead: no herd). Handover when the leader leaves: only the next candidate is
 * woken; 0 more round trips if the leader was just ahead of it when it last listed, else 1
 * listing (a read). {@link #resign()}: 1 delete + 1 join. Reconnection while
 * leading: 1 write confirming the node. {@link #isLeader()}, {@link #state()}: 0.
 *
 * <h2>Connection states</h2>
 * SUSPENDED while leading: {@link ElectionState#UNCERTAIN}, {@code isLeader()} false; when the
 * same session is back and a write confirmed the node, {@code LEADING} again (same term, same
 * epoch). LOST: the term is over (its node dies with the session); the candidacy waits for the new
 * session and joins again with a new node at the tail. While waiting, connection trouble is ridden
 * through.
 *
 * <h2>Threads</h2>
 * Thread-safe. Listeners run on the election thread, one at a time, in order; they must not block
 * for long (they delay the election) and one that throws is logged. {@link #close()} may be called
 * from a listener.
 *
 * <h2>Not guaranteed</h2>
 * That a leader paused for longer than the session timeout stops acting before another leads: it
 * cannot know. Use the epoch or guarded writes where that matters.
 */
public final class Candidacy implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Candidacy.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Posted to wake the election thread: look at the real state again. */
    private static final Object WAKE = new Object();

    private final ZkElection election;
    private final ZkSession session;
    private final SequentialQueue queue;
    private final LinkedBlockingQueue<Object> mailbox = new LinkedBlockingQueue<>();
    private final List<Consumer<ElectionEvent>> listeners = new CopyOnWriteArrayList<>();
    private final Object lock = new Object();
    // guarded by lock
    private ElectionState state = ElectionState.LATENT;
    private Thread thread;
    private boolean interruptible; // the election thread is in an engine call a command may interrupt
    private Throwable failure;
    private long resignRequests;
    private long resignsHandled;
    private final List<CompletableFuture<Leadership>> awaiting = new ArrayList<>();

    private volatile Leadership term; // the current term, or null
    private volatile boolean closed;

    Candidacy(ZkElection election, SequentialQueue queue) {
        this.election = election;
        this.session = election.session();
        this.queue = queue;
    }

    /**
     * Starts contending: the election thread joins the election (one round trip when
     * uncontended). Returns at once. Calling it again does nothing.
     *
     * @throws IllegalStateException if the candidacy or its session is closed
     */
    public Candidacy start() {
        synchronized (lock) {
            if (state != ElectionState.LATENT) {
                if (state.isTerminal()) {
                    throw new IllegalStateException("candidacy in " + election.path() + " is " + state);
                }
                return this;
            }
            session.ensureOpen();
            thread = new Thread(this::run, "zkr-election-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            state = ElectionState.CONTENDING; // published by the election thread as it joins
        }
        thread.start();
        return this;
    }

    /** The election this candidacy belongs to. */
    public ZkElection election() {
        return election;
    }

    /**
     * The state as last published to listeners. {@link #isLeader()} is more current: it reads the
     * term's grant, which turns uncertain on the session's event thread.
     */
    public ElectionState state() {
        synchronized (lock) {
            return state;
        }
    }

    /**
     * True while this candidate leads: its term's node is the first, the connection is up, and
     * the candidacy is neither resigning nor closed. Local, no round trip.
     */
    public boolean isLeader() {
        Leadership t = term;
        return !closed && t != null && t.isHeld();
    }

    /** The current term, if this candidate is leading (or uncertain). */
    public Optional<Leadership> leadership() {
        Leadership t = term;
        return closed || t == null || t.state().isTerminal() ? Optional.empty() : Optional.of(t);
    }

    /** The epoch of the current term, if this candidate {@link #isLeader()}. */
    public OptionalLong epoch() {
        Leadership t = term;
        return isLeader() ? OptionalLong.of(t.epoch()) : OptionalLong.empty();
    }

    /** For {@link ElectionState#FAILED}: what failed. */
    public Optional<Throwable> failure() {
        synchronized (lock) {
            return Optional.ofNullable(failure);
        }
    }

    /**
     * Waits until this candidate leads.
     *
     * @throws IllegalStateException if the candidacy is not started, or is closed or fails
     *     meanwhile (a failure carries its cause)
     * @throws InterruptedException if interrupted
     */
    public Leadership awaitLeadership() throws InterruptedException {
        return await(Deadline.none()).orElseThrow();
    }

    /**
     * Waits at most {@code timeout} until this candidate leads. Zero or negative: only checks.
     *
     * @return the term, or empty if the timeout passed first
     * @throws IllegalArgumentException if {@code timeout} is null
     * @throws IllegalStateException as {@link #awaitLeadership()}
     */
    public Optional<Leadership> awaitLeadership(Duration timeout) throws InterruptedException {
        return await(Deadline.after(Validation.timeout(timeout)));
    }

    private Optional<Leadership> await(Deadline deadline) throws InterruptedException {
        while (true) {
            CompletableFuture<Leadership> f = new CompletableFuture<>();
            synchronized (lock) {
                if (state == ElectionState.LATENT || state.isTerminal()) {
                    throw notContending();
                }
                awaiting.add(f);
            }
            try {
                Leadership t = term;
                if (t != null && isLeader()) {
                    return Optional.of(t);
                }
                Leadership got;
                try {
                    got = deadline.isForever() ? f.get() : f.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    return Optional.empty();
                } catch (ExecutionException e) {
                    throw (RuntimeException) e.getCause();
                }
                if (got.state() != GrantState.RELEASED) {
                    return Optional.of(got);
                }
                // A term resigned before it was announced: wait for the next one.
            } finally {
                synchronized (lock) {
                    awaiting.remove(f);
                }
            }
        }
    }

    private IllegalStateException notContending() {
        String why = failure != null ? " (" + failure + ")"
                : state == ElectionState.CLOSED && election.session().isClosed() ? " (its session was closed)" : "";
        return new IllegalStateException("candidacy in " + election.path() + " is " + state + why, failure);
    }

    /**
     * Adds a listener for every later state change, called on the election thread in order. The
     * registration removes it.
     */
    public Registration addListener(Consumer<ElectionEvent> listener) {
        Objects.requireNonNull(listener, "listener");
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Gives up this candidate's place: if leading, ends the term (it is {@code RELEASED} and
     * isLeader() is false when this returns, then one delete, so the next candidate leads); if
     * waiting, leaves its place. Either way it joins again at the tail (one join), so a sole
     * candidate leads again soon, in a new term with a larger epoch; {@link #awaitLeadership()}
     * after a resign waits for that next term. The session stays open. Does not wait for the
     * delete; does nothing before {@link #start()} or after close.
     */
    public void resign() {
        synchronized (lock) {
            if (state == ElectionState.LATENT || state.isTerminal()) {
                return;
            }
            resignRequests++;
            if (interruptible) {
                thread.interrupt(); // leave the queue: the join cleans up and the loop joins again
            }
        }
        Leadership t = term;
        if (t != null) {
            t.endNow(); // isLeader() is false when this returns; the election thread deletes the node
        }
        mailbox.offer(WAKE);
    }

    /** Resigns if {@code t} is the current term. */
    void resign(Leadership t) {
        if (term == t && !t.state().isTerminal()) {
            resign();
        }
    }

    /**
     * Leaves the election: {@link #isLeader()} is false at once, the node is deleted (one round
     * trip; in the background if the connection is down, or if a join was in flight and its
     * create's reply had not come back yet), and the election thread stops; waits for that at most
     * about the session timeout. Idempotent; never throws.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            t = thread;
            if (t == null) {
                transition(ElectionState.CLOSED, null, null); // never started: nothing on the ensemble
                return;
            }
            if (interruptible) {
                t.interrupt();
            }
        }
        mailbox.offer(WAKE);
        if (Thread.currentThread() != t) {
            try {
                t.join(joinBound().toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private Duration joinBound() {
        try {
            return session.negotiatedSessionTimeout().plusSeconds(2);
        } catch (RuntimeException e) {
            return Duration.ofSeconds(5);
        }
    }

    // ---- the election thread ----

    private void run() {
        Registration sessionListener = null;
        Throwable failed = null;
        try {
            sessionListener = session.addStateListener((s, id) -> mailbox.offer(WAKE));
            while (!closed) {
                if (!awaitSession()) {
                    break;
                }
                QueueEntry entry = contend();
                if (entry != null) {
                    lead(entry);
                }
            }
        } catch (IllegalStateException | SessionLostException e) {
            if (!session.isClosed() && !closed) {
                failed = e;
            }
        } catch (InterruptedException e) {
            if (!closed) {
                failed = e;
            }
        } catch (RuntimeException | Error e) {
            failed = e;
        } finally {
            if (sessionListener != null) {
                sessionListener.close();
            }
            finish(failed);
        }
    }

    /** Waits until the session is connected; false if the candidacy or the session is closed. */
    private boolean awaitSession() throws InterruptedException {
        while (!closed && !session.isClosed()) {
            if (session.state().isConnected()) {
                return true;
            }
            mailbox.take(); // session events wake us
        }
        return false;
    }

    /** Joins and waits to lead; null if a command or a session loss interrupted that. */
    private QueueEntry contend() throws InterruptedException {
        QueueEntry entry = null;
        boolean granted = false;
        synchronized (lock) {
            if (closed) {
                return null;
            }
            resignsHandled = resignRequests; // a resign before we join is served by this join
            interruptible = true;
        }
        try {
            entry = queue.enter(NodeKind.CANDIDATE, 1, Participant.current(session).encode(), Deadline.none());
            granted = entry != null && queue.await(entry, WaitRule.EXCLUSIVE, Deadline.none());
            return granted ? entry : null;
        } catch (InterruptedException e) {
            return null; // resign or close: the loop decides what comes next
        } catch (SessionLostException e) {
            LOG.debug("candidate in {} lost its session while waiting; joining again", election.path());
            return null;
        } finally {
            synchronized (lock) {
                interruptible = false;
                Thread.interrupted(); // an interrupt is only ever sent while interruptible
            }
            if (!granted && entry != null) {
                queue.remove(entry); // bounded; in the background if the connection is down
            }
        }
    }

    /** Leads until the term ends: lost, resigned or closed. */
    private void lead(QueueEntry entry) throws InterruptedException {
        Leadership t = new Leadership(this, entry);
        Registration r = t.onStateChange(s -> mailbox.offer(WAKE));
        try {
            term = t;
            ElectionState shown = null;
            while (true) {
                boolean resign;
                synchronized (lock) {
                    resign = resignRequests != resignsHandled;
                    resignsHandled = resignRequests;
                }
                if (closed || resign) {
                    t.end(); // RELEASED first (isHeld() false), then the delete
                    term = null;
                    if (!closed) {
                        transition(ElectionState.CONTENDING, t, null);
                    }
                    return;
                }
                GrantState s = t.state();
                if (s.isTerminal()) {
                    t.end(); // a resign that ended the term here (RELEASED) still owes the delete
                    term = null;
                    LOG.info("leadership of {} (epoch {}) ended: {}", election.path(), t.epoch(), s);
                    transition(ElectionState.CONTENDING, t, null);
                    return;
                }
                ElectionState now = s == GrantState.HELD ? ElectionState.LEADING : ElectionState.UNCERTAIN;
                if (now != shown) {
                    shown = now;
                    transition(now, t, null);
                }
                mailbox.take(); // grant, session or command: look again
            }
        } finally {
            r.close();
            term = null;
        }
    }

    private void finish(Throwable failed) {
        Leadership t = term;
        term = null;
        if (t != null) {
            t.end();
        }
        if (failed != null && !(failed instanceof Error)) {
            LOG.error("election in {} failed", election.path(), failed);
        }
        ElectionState end = failed == null ? ElectionState.CLOSED : ElectionState.FAILED;
        synchronized (lock) {
            failure = failed;
        }
        transition(end, t, failed);
        if (failed instanceof Error e) {
            throw e;
        }
    }

    /** Publishes a state change: settles awaiting callers, then tells the listeners, in order. */
    private void transition(ElectionState next, Leadership t, Throwable cause) {
        ElectionEvent event;
        List<CompletableFuture<Leadership>> settle;
        IllegalStateException over;
        synchronized (lock) {
            if (state == next && next != ElectionState.CONTENDING) {
                return;
            }
            if (state.isTerminal()) {
                return;
            }
            event = new ElectionEvent(state, next, t, cause);
            state = next;
            settle = next == ElectionState.LEADING || next.isTerminal() ? new ArrayList<>(awaiting) : List.of();
            if (!settle.isEmpty()) {
                awaiting.clear();
            }
            over = next.isTerminal() ? notContending() : null;
        }
        LOG.debug("candidate in {}: {} -> {} (epoch {})", election.path(), event.previous(), next, event.epoch());
        for (CompletableFuture<Leadership> f : settle) {
            if (next == ElectionState.LEADING) {
                f.complete(t);
            } else {
                f.completeExceptionally(over);
            }
        }
        if (event.previous() == next) {
            return; // CONTENDING again without a term in between: nothing to tell
        }
        for (Consumer<ElectionEvent> l : listeners) {
            try {
                l.accept(event);
            } catch (RuntimeException e) {
                LOG.warn("election listener threw on {}", event, e);
            }
        }
    }

    @Override
    public String toString() {
        Leadership t = term;
        return "Candidacy[" + election.path() + " " + state() + (t != null ? " epoch=" + t.epoch() : "") + "]";
    }
}
