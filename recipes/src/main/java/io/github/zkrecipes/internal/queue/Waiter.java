package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.SessionStateListener;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blocked caller's mailbox. ZooKeeper's event thread and the session's state thread only
 * <em>post</em> to it; the blocked caller alone takes signals and decides. One instance is the
 * watcher for every watch the caller sets, so re-arming the same path is deduplicated by the
 * client, and giving up removes exactly this caller's watches.
 */
final class Waiter implements Watcher, SessionStateListener {
    private static final Logger LOG = LoggerFactory.getLogger(Waiter.class);

    /** Posted when the session re-connected: re-list, in case a watch event was missed. */
    static final Object RECHECK = new Object();
    /** Posted when the waiter's session is lost or closed. */
    static final Object SESSION_ENDED = new Object();

    private final long sessionId;
    private final LinkedBlockingQueue<Object> signals = new LinkedBlockingQueue<>();
    // Watches this waiter set that have not fired yet; touched by the waiting thread only.
    private final Set<String> dataWatches = new HashSet<>();
    private final Set<String> childWatches = new HashSet<>();

    Waiter(long sessionId) {
        this.sessionId = sessionId;
    }

    @Override
    public void process(WatchedEvent event) {
        // State-change events (type None) reach every watcher; the session listener covers them.
        if (event.getType() != Event.EventType.None) {
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

    void armedData(String path) {
        dataWatches.add(path);
    }

    void armedChildren(String path) {
        childWatches.add(path);
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
                childWatches.remove(e.getPath());
            } else {
                dataWatches.remove(e.getPath());
            }
        }
    }

    /**
     * Removes the watches that have not fired, on the server too, so that a caller that gave up
     * leaves nothing behind. Asynchronous: never blocks the caller.
     */
    void disarm(ZooKeeper zk) {
        Object s;
        while ((s = signals.poll()) != null) {
            consumed(s);
        }
        if (zk == null) {
            return;
        }
        for (String p : dataWatches) {
            remove(zk, p, WatcherType.Data);
        }
        for (String p : childWatches) {
            remove(zk, p, WatcherType.Children);
        }
        dataWatches.clear();
        childWatches.clear();
    }

    private void remove(ZooKeeper zk, String path, WatcherType type) {
        try {
            zk.removeWatches(path, this, type, false, (rc, p, ctx) -> {
                Code code = Code.get(rc);
                if (code != Code.OK && code != Code.NOWATCHER) {
                    // Not connected: drop it on the client at least; the server forgets it with
                    // the session or when it fires.
                    try {
                        zk.removeWatches(path, this, type, true, (rc2, p2, ctx2) -> { }, null);
                    } catch (RuntimeException e) {
                        LOG.debug("local watch removal on {} failed", path, e);
                    }
                }
            }, null);
        } catch (RuntimeException e) {
            LOG.debug("watch removal on {} failed", path, e);
        }
    }
}
