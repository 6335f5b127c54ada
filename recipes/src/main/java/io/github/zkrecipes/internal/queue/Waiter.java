package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.SessionStateListener;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;

/**
 * One blocked caller's mailbox. ZooKeeper's event thread and the session's state thread only
 * <em>post</em> to it; the blocked caller alone takes signals and decides. One instance is the
 * watcher for every watch the caller sets, so re-arming the same path is deduplicated by the
 * client; giving up removes this caller's watches, on the server too once no other waiter of the
 * session shares them ({@link WatchRegistry}).
 */
final class Waiter implements Watcher, SessionStateListener {
    /** Posted when the session re-connected: re-list, in case a watch event was missed. */
    static final Object RECHECK = new Object();
    /** Posted when the waiter's session is lost or closed. */
    static final Object SESSION_ENDED = new Object();

    private final long sessionId;
    private final LinkedBlockingQueue<Object> signals = new LinkedBlockingQueue<>();
    // Watches this waiter set that have not fired yet; touched by the waiting thread only.
    private final Set<String> dataWatches = new HashSet<>();
    private final Set<String> childWatches = new HashSet<>();
    private ZooKeeper handle;

    Waiter(long sessionId) {
        this.sessionId = sessionId;
    }

    @Override
    public void process(WatchedEvent event) {
        // State-change events (type None) reach every watcher; the session listener covers them.
        // Watch-removal notices answer our own removeAllWatches: nothing changed.
        Event.EventType type = event.getType();
        if (type != Event.EventType.None && type != Event.EventType.DataWatchRemoved
                && type != Event.EventType.ChildWatchRemoved && type != Event.EventType.PersistentWatchRemoved) {
            QueueMetrics.WAKEUPS.increment();
            signals.offer(event);
        }
    }

    @Override
    public void stateChanged(SessionState state, long id) {
        switch (state) {
            case RECONNECTED -> signals.offer(RECHECK);
            case LOST, CLOSED -> signals.offer(SESSION_ENDED);
            case CONNECTED -> {
                if (id != sessionId) {
                    signals.offer(SESSION_ENDED);
                }
            }
            default -> { }
        }
    }

    /** Sets a data watch on {@code path} for this waiter (getData: no watch is left on a missing node). */
    java.util.concurrent.CompletableFuture<Reply<byte[]>> watchData(ZooKeeper zk, String path) {
        bind(zk);
        if (dataWatches.add(path)) {
            return WatchRegistry.arm(zk, WatcherType.Data, path, () -> ZkOps.data(zk, path, this));
        }
        return ZkOps.data(zk, path, this); // already armed: the client and server deduplicate
    }

    /**
     * Sets an exists watch on {@code path}, which stays on a missing node until it is created: for
     * waiting until a directory appears.
     */
    java.util.concurrent.CompletableFuture<Reply<org.apache.zookeeper.data.Stat>> watchExists(ZooKeeper zk, String path) {
        bind(zk);
        if (dataWatches.add(path)) {
            return WatchRegistry.arm(zk, WatcherType.Data, path, () -> ZkOps.existsWatch(zk, path, this));
        }
        return ZkOps.existsWatch(zk, path, this);
    }

    /** Sets a child watch on {@code path} for this waiter and lists it. */
    java.util.concurrent.CompletableFuture<Reply<java.util.List<String>>> watchChildren(ZooKeeper zk, String path) {
        bind(zk);
        if (childWatches.add(path)) {
            return WatchRegistry.arm(zk, WatcherType.Children, path, () -> ZkOps.children(zk, path, this));
        }
        return ZkOps.children(zk, path, this);
    }

    /** True if this waiter's data watch on {@code path} is set and has not fired (or its event is not taken yet). */
    boolean isArmed(String path) {
        return dataWatches.contains(path);
    }

    /** A data watch on {@code path} that the server refused to set (no node): nothing to remove. */
    void notArmed(String path) {
        if (dataWatches.remove(path)) {
            WatchRegistry.fired(handle, WatcherType.Data, path);
        }
    }

    /** Removes this waiter's data watch on {@code path}: a node it will no longer wait for. */
    void disarm(String path) {
        if (handle != null && dataWatches.remove(path)) {
            WatchRegistry.release(handle, WatcherType.Data, path);
        }
    }

    private void bind(ZooKeeper zk) {
        if (handle != zk) {
            // A new handle (new session): the old handle's watches died with it.
            dataWatches.clear();
            childWatches.clear();
            handle = zk;
        }
    }

    /** The next signal, or null when the deadline passed. Bookkeeping of fired watches included. */
    Object next(Deadline d) throws InterruptedException {
        Object s = d.isForever() ? signals.take() : signals.poll(d.remainingNanos(), TimeUnit.NANOSECONDS);
        consumed(s);
        return s;
    }

    private void consumed(Object s) {
        if (s instanceof WatchedEvent e) {
            if (e.getType() == Event.EventType.NodeChildrenChanged) {
                if (childWatches.remove(e.getPath())) {
                    WatchRegistry.fired(handle, WatcherType.Children, e.getPath());
                }
            } else if (dataWatches.remove(e.getPath())) {
                WatchRegistry.fired(handle, WatcherType.Data, e.getPath());
            }
        }
    }

    /**
     * Removes the watches that have not fired, on the server too, so that a caller that gave up
     * leaves nothing behind. Asynchronous: never blocks the caller.
     */
    void disarm() {
        Object s;
        while ((s = signals.poll()) != null) {
            consumed(s);
        }
        if (handle == null) {
            return;
        }
        for (String p : dataWatches) {
            WatchRegistry.release(handle, WatcherType.Data, p);
        }
        for (String p : childWatches) {
            WatchRegistry.release(handle, WatcherType.Children, p);
        }
        dataWatches.clear();
        childWatches.clear();
    }
}
