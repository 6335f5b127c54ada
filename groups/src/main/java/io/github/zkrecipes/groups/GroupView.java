package io.github.zkrecipes.groups;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.Validation;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.QueueNode;
import io.github.zkrecipes.internal.queue.Reply;
import io.github.zkrecipes.internal.queue.ZkOps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A live view of a {@link ZkGroup}'s members, id to {@link Member}, kept current with one
 * persistent recursive watch on the group's path.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>No gaps.</b> A persistent watch is never re-armed, so no change between two events is
 *       missed while connected. After a reconnection (events may have been lost) or a session
 *       expiry (the watch died; it is added again) the view lists the group again, reads every
 *       member, and reports only the differences: it converges to what the server holds.
 *   <li><b>In order.</b> Events, read replies and reconnections are handled on one thread in the
 *       order ZooKeeper delivered them (the server's order); listeners are called on that thread,
 *       one at a time, in that order. A new listener is first told {@code joined} for every
 *       current member.
 *   <li><b>One id, one member.</b> If two nodes carry the same id (a duplicate join about to be
 *       refused), only the earliest is shown.
 * </ul>
 *
 * <h2>Cost in ZooKeeper round trips</h2>
 * Opening: 1 addWatch + 1 getChildren + 1 (one getData per member, pipelined). Each join or data
 * change: 1 getData of that node only; each leave: 0. After a reconnection or expiry: a re-read
 * of the group as at opening. The view holds exactly one server-side watch; {@link #close()}
 * removes it.
 *
 * <h2>What it does not guarantee</h2>
 * A view is a cache: reads are sequentially consistent, so it may lag the ensemble, and while
 * the connection is down it shows the last known members. A member that joins and leaves
 * between two reads may never be reported. While disconnected no events arrive; the differences
 * come after reconnecting.
 *
 * <h2>Threads</h2>
 * Thread-safe. Changes are applied on ZooKeeper's event thread as they arrive (no thread hop
 * before the read of a changed node is sent); listeners and {@link #await} conditions run on the
 * view's own thread ({@code zkr-group-view<path>}), stopped by {@link #close()}; an {@code
 * await}'s condition is also checked once on the calling thread.
 */
public final class GroupView implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupView.class);

    private final ZkSession session;
    private final String path;
    private final String serverPath;
    private final PersistentWatch watch;
    // The state machine's, touched only in the watch's locked steps:
    private final MemberTable table = new MemberTable();
    private long resyncGeneration;
    private int pendingResyncReads;
    /**
     * Changes in the order the server made them (watch events and replies reach ZooKeeper's event
     * thread in that order): a deletion waits for the reads of earlier changes, so listeners are
     * told in order. Guarded by the watch's lock.
     */
    private final java.util.ArrayDeque<Step> steps = new java.util.ArrayDeque<>();

    /** One change to apply: a node's deletion (ready at once), or a node's read (ready with its reply). */
    private static final class Step {
        final String name;
        final long generation;
        final boolean deletion;
        Reply<byte[]> reply;

        Step(String name, long generation, boolean deletion) {
            this.name = name;
            this.generation = generation;
            this.deletion = deletion;
        }

        boolean ready() {
            return deletion || reply != null;
        }
    }
    // Confined to the view's thread:
    private final List<GroupListener> listeners = new ArrayList<>();
    // Shared:
    private final ConcurrentLinkedQueue<Condition> conditions = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private volatile Map<String, Member> members = Map.of();
    // The members as of the last change whose listeners have been called (written on the view's thread).
    private volatile Map<String, Member> delivered = Map.of();
    private volatile boolean closed;
    private volatile boolean sessionClosed;

    private record Condition(Predicate<Map<String, Member>> test, CompletableFuture<Boolean> done) { }

    GroupView(ZkSession session, String path, String serverPath) {
        this.session = session;
        this.path = path;
        this.serverPath = serverPath;
        this.watch = new PersistentWatch(session, serverPath, AddWatchMode.PERSISTENT_RECURSIVE,
                "zkr-group-view" + path, this::onEvent, this::resync);
        this.watch.onSessionClosed(this::sessionClosed);
    }

    /** The session was closed under the view: it shows its last members; waiting calls fail now. */
    private void sessionClosed() {
        sessionClosed = true;
        for (Condition c : conditions) {
            c.done().completeExceptionally(closedSession());
        }
        loaded.complete(null);
    }

    private SessionLostException closedSession() {
        return new SessionLostException("the session of the view of " + path + " was closed", path, 0, null);
    }

    void start() throws InterruptedException {
        watch.start();
        try {
            loaded.get();
        } catch (ExecutionException e) {
            throw new IllegalStateException("view of " + path + " failed to load", e.getCause());
        }
    }

    /** The members now, id to member, in join order. An immutable snapshot. */
    public Map<String, Member> members() {
        return members;
    }

    /** The member with {@code id} now, or null. */
    public Member member(String id) {
        return members.get(id);
    }

    /** The number of members now. */
    public int size() {
        return members.size();
    }

    public String path() {
        return path;
    }

    /**
     * Adds a listener: it is first told {@code joined} for every current member, then every later
     * change, on the view's thread. The registration removes it.
     */
    public Registration addListener(GroupListener listener) {
        Objects.requireNonNull(listener, "listener");
        ensureOpen();
        // Snapshot and queue the replay in one locked step: every change after the snapshot is
        // queued after the replay, every change before it is in the snapshot.
        watch.locked(() -> {
            Map<String, Member> snapshot = members;
            watch.post(() -> {
                for (Member m : snapshot.values()) {
                    call(listener, l -> l.joined(m));
                }
                listeners.add(listener);
            });
        });
        return () -> watch.post(() -> listeners.remove(listener));
    }

    /**
     * Waits until the members satisfy {@code condition} (checked after every change), or the
     * timeout passes. It returns only after the listeners were told of the change that made it
     * hold. When every change has reached the listeners, the condition is first checked on the
     * calling thread: an already true condition returns at once, with no thread hand-off.
     *
     * @return true if it held in time, false on timeout or if the view was closed
     * @throws SessionLostException at once if the view's session is closed, also while waiting
     */
    public boolean await(Predicate<Map<String, Member>> condition, Duration timeout) throws InterruptedException {
        Objects.requireNonNull(condition, "condition");
        Validation.timeout(timeout);
        ensureOpen();
        Map<String, Member> now = members;
        if (delivered == now) { // every change so far has reached the listeners
            try {
                if (condition.test(now)) {
                    return true;
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException(e);
            }
        }
        Condition c = new Condition(condition, new CompletableFuture<>());
        conditions.add(c);
        watch.locked(() -> {
            Map<String, Member> snapshot = members;
            watch.post(() -> check(c, snapshot));
        });
        if (closed) {
            c.done().complete(false);
        }
        if (sessionClosed) {
            c.done().completeExceptionally(closedSession());
        }
        try {
            return c.done().get(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SessionLostException lost) {
                throw lost;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            conditions.remove(c);
        }
    }

    /** Waits until the group has exactly {@code n} members, or the timeout passes; false on timeout. */
    public boolean awaitSize(int n, Duration timeout) throws InterruptedException {
        if (n < 0) {
            throw new IllegalArgumentException("member count must not be negative, was " + n);
        }
        return await(m -> m.size() == n, timeout);
    }

    /** Checks {@code c} on the view's thread against the members as of the last change delivered. */
    private void check(Condition c, Map<String, Member> snapshot) {
        try {
            if (c.test().test(snapshot)) {
                c.done().complete(true);
            }
        } catch (RuntimeException e) {
            c.done().completeExceptionally(e);
        }
    }

    // ---- the state machine: in the watch's locked steps, on ZooKeeper's event thread ----

    private void onEvent(WatchedEvent e) {
        String p = e.getPath();
        if (p == null || !p.startsWith(serverPath + "/") || p.indexOf('/', serverPath.length() + 1) >= 0) {
            return; // the group node itself, or something deeper
        }
        String name = ZKPaths.getNodeFromPath(p);
        QueueNode q = QueueNode.parse(name);
        if (q == null || q.kind() != NodeKind.MEMBER) {
            return; // the id claims and anything foreign: not read
        }
        switch (e.getType()) {
            case NodeCreated, NodeDataChanged -> read(name, -1);
            case NodeDeleted -> deleted(name);
            default -> { }
        }
    }

    /** A node is gone: applied after every earlier change still being read. */
    private void deleted(String name) {
        steps.add(new Step(name, -1, true));
        drain();
    }

    /** Applies the ready changes at the head of the queue, in order. */
    private void drain() {
        while (!steps.isEmpty() && steps.peek().ready()) {
            Step step = steps.poll();
            if (step.deletion) {
                show(table.remove(step.name));
            } else {
                applyRead(step.name, step.reply, step.generation);
            }
        }
    }

    /** One getData of one node; its reply is applied in the order of the changes ({@link #steps}). */
    private void read(String name, long generation) {
        ZooKeeper zk;
        try {
            zk = session.zookeeper();
        } catch (RuntimeException closedSession) {
            return;
        }
        Step step = new Step(name, generation, false);
        steps.add(step);
        ZkOps.data(zk, serverPath + "/" + name, null).thenAccept(r -> watch.locked(() -> {
            step.reply = r;
            drain();
        }));
    }

    private void applyRead(String name, Reply<byte[]> r, long generation) {
        if (r.ok()) {
            Member m = MemberData.member(path, name, r.value(), r.stat());
            if (m == null) {
                show(table.remove(name)); // not member data: not a member
            } else {
                Member old = table.at(name);
                if (old != null && !old.id().equals(m.id())) {
                    show(table.remove(name)); // someone rewrote the node with another id
                    old = null;
                }
                if (old == null || r.stat().getVersion() >= old.version()) { // never back to older data
                    show(table.put(name, m));
                }
            }
        } else if (r.code() == Code.NONODE) {
            show(table.remove(name));
        }
        // connection trouble: the reconnection re-reads everything
        if (generation == resyncGeneration && generation >= 0 && --pendingResyncReads == 0) {
            loaded.complete(null);
        }
    }

    /** Publishes a visible change and hands it to the view's thread for listeners and conditions. */
    private void show(MemberTable.Change c) {
        if (c == null) {
            return;
        }
        members = c.snapshot();
        Member before = c.before();
        Member after = c.after();
        // In this order, on the view's thread; conditions are checked against the members as of
        // this change, so an await returns after the listeners were told.
        watch.post(() -> {
            if (before == null) {
                listeners.forEach(l -> call(l, x -> x.joined(after)));
            } else if (after == null) {
                listeners.forEach(l -> call(l, x -> x.left(before)));
            } else if (!before.node().equals(after.node()) || !before.sameData(after)) {
                listeners.forEach(l -> call(l, x -> x.dataChanged(before, after)));
            }
            delivered = c.snapshot();
            for (Condition cond : conditions) {
                check(cond, c.snapshot());
            }
        });
    }

    private void call(GroupListener l, java.util.function.Consumer<GroupListener> event) {
        try {
            event.accept(l);
        } catch (RuntimeException e) {
            LOG.warn("group listener {} of {} threw", l, path, e);
        }
    }

    /** Lists the group and reads every member: after opening, reconnecting, or a new session. */
    private void resync(ZooKeeper zk) {
        if (zk == null) {
            return;
        }
        long generation = ++resyncGeneration;
        ZkOps.children(zk, serverPath, null).thenAccept(r -> watch.locked(() -> onListing(r, generation)));
    }

    private void onListing(Reply<List<String>> r, long generation) {
        if (generation != resyncGeneration) {
            return; // a later re-read is under way
        }
        if (!r.ok() && r.code() != Code.NONODE) {
            return; // connection trouble: the reconnection re-reads
        }
        Set<String> listed = new HashSet<>();
        if (r.ok()) {
            for (String child : r.value()) {
                QueueNode q = QueueNode.parse(child);
                if (q != null && q.kind() == NodeKind.MEMBER) {
                    listed.add(child);
                }
            }
        }
        // Replies are handled in server order: a member known now but not listed was deleted
        // before the listing.
        for (String known : new ArrayList<>(table.nodes())) {
            if (!listed.contains(known)) {
                deleted(known);
            }
        }
        pendingResyncReads = listed.size();
        if (listed.isEmpty()) {
            loaded.complete(null);
        }
        for (String name : listed) {
            read(name, generation);
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("view of " + path + " is closed");
        }
        if (sessionClosed) {
            throw closedSession();
        }
    }

    /**
     * Removes the view's watch from the server (waiting at most about a session timeout) and stops
     * its thread. Pending {@link #await} calls return false. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Duration wait;
        try {
            wait = session.isClosed() ? Duration.ZERO : session.negotiatedSessionTimeout();
        } catch (RuntimeException e) {
            wait = Duration.ZERO;
        }
        watch.close(wait);
        for (Condition c : conditions) {
            c.done().complete(false);
        }
        loaded.complete(null);
    }

    @Override
    public String toString() {
        return "GroupView[" + path + ", " + members.size() + " members]";
    }
}
