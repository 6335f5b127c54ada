package io.github.zkrecipes.groups;

import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.SessionStateListener;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.Reply;
import io.github.zkrecipes.internal.queue.WatchRegistry;
import io.github.zkrecipes.internal.queue.ZkOps;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * One blocked barrier caller's mailbox: ZooKeeper's event thread and the session's state thread
 * only <em>post</em> here; the caller alone takes signals and decides again on real state (a
 * signal is never a grant). The caller's data watches are counted in {@link Watches} and removed
 * from the server when it stops waiting, so nothing is left behind.
 */
final class Signals implements Watcher, SessionStateListener {
    /** The session re-connected: look again, in case an event was missed. */
    static final Object RECHECK = new Object();
    /** The caller's session is lost or closed. */
    static final Object SESSION_ENDED = new Object();

    private final long sessionId;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Set<String> armed = new HashSet<>(); // data watches set and not yet fired; caller's thread only
    private ZooKeeper handle;

    Signals(long sessionId) {
        this.sessionId = sessionId;
    }

    @Override
    public void process(WatchedEvent event) {
        Event.EventType t = event.getType();
        // Connection events reach every watcher; the session listener covers them.
        if (t != Event.EventType.None && t != Event.EventType.DataWatchRemoved) {
            queue.offer(event);
        }
    }

    @Override
    public void stateChanged(SessionState state, long id) {
        switch (state) {
            case RECONNECTED -> queue.offer(RECHECK);
            case LOST, CLOSED -> queue.offer(SESSION_ENDED);
            case CONNECTED -> {
                if (id != sessionId) {
                    queue.offer(SESSION_ENDED);
                }
            }
            default -> { }
        }
    }

    /** getData with a data watch for this caller (none is left if the node is missing). */
    CompletableFuture<Reply<byte[]>> watchData(ZooKeeper zk, String path) {
        if (handle != zk) {
            armed.clear(); // a new handle: the old one's watches died with its session
            handle = zk;
        }
        if (armed.add(path)) {
            CompletableFuture<Reply<byte[]>> f =
                    WatchRegistry.arm(zk, WatcherType.Data, path, () -> ZkOps.data(zk, path, this));
            return f.thenApply(r -> {
                if (r.code() == org.apache.zookeeper.KeeperException.Code.NONODE) {
                    notArmed(zk, path);
                }
                return r;
            });
        }
        return ZkOps.data(zk, path, this); // already armed: client and server deduplicate
    }

    private void notArmed(ZooKeeper zk, String path) {
        queue.offer(new NotArmed(zk, path)); // bookkeeping happens on the caller's thread
    }

    private record NotArmed(ZooKeeper zk, String path) { }

    /** The next signal, or null when the deadline passed. */
    Object next(Deadline d) throws InterruptedException {
        while (true) {
            Object s = d.isForever() ? queue.take() : queue.poll(d.remainingNanos(), TimeUnit.NANOSECONDS);
            if (s instanceof NotArmed n) {
                consumeNotArmed(n);
                continue;
            }
            consumed(s);
            return s;
        }
    }

    private void consumeNotArmed(NotArmed n) {
        if (n.zk() == handle && armed.remove(n.path())) {
            WatchRegistry.fired(handle, WatcherType.Data, n.path());
        }
    }

    private void consumed(Object s) {
        if (s instanceof WatchedEvent e && e.getPath() != null && armed.remove(e.getPath())) {
            WatchRegistry.fired(handle, WatcherType.Data, e.getPath());
        }
    }

    /** Removes the watches that have not fired, on the server too once no one else needs them. */
    void disarm() {
        Object s;
        while ((s = queue.poll()) != null) {
            if (s instanceof NotArmed n) {
                consumeNotArmed(n);
            } else {
                consumed(s);
            }
        }
        if (handle != null) {
            for (String p : armed) {
                WatchRegistry.release(handle, WatcherType.Data, p, this);
            }
        }
        armed.clear();
    }
}
