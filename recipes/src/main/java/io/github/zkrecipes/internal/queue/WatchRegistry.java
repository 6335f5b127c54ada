package io.github.zkrecipes.internal.queue;

import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Watcher.WatcherType;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts this JVM's watchers per (ZooKeeper handle, watch type, path), so that one that gives up
 * can remove the watch from the server without taking it from another: the engine's waiters and
 * every recipe module that sets watches of its own go through this one registry (internal API).
 *
 * <p>Why: ZooKeeper keeps one server-side watch per session, path and type, however many client
 * watchers share it. {@code removeWatches(path, watcher, ...)} only drops the client-side watcher
 * (the server is merely asked whether the watch exists), and {@code removeAllWatches} drops the
 * server-side watch for every watcher of the session. So the last waiter of a session to give up
 * on a path removes them all. Registration and removal are sent under one lock, so a session's
 * requests reach the server in the order of the counts (a new arming is never overtaken by the
 * removal that preceded it).
 */
public final class WatchRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(WatchRegistry.class);
    private static final Map<ZooKeeper, Map<String, Integer>> COUNTS = new WeakHashMap<>();

    private WatchRegistry() {}

    private static String key(WatcherType type, String path) {
        return (type == WatcherType.Children ? "c" : "d") + path;
    }

    /** Counts one more waiter on the watch and sends the request that sets it, atomically. */
    public static <T> T arm(ZooKeeper zk, WatcherType type, String path, java.util.function.Supplier<T> send) {
        synchronized (COUNTS) {
            COUNTS.computeIfAbsent(zk, z -> new HashMap<>()).merge(key(type, path), 1, Integer::sum);
            return send.get();
        }
    }

    /** The watch fired for one waiter: it is gone on the server. */
    public static void fired(ZooKeeper zk, WatcherType type, String path) {
        synchronized (COUNTS) {
            decrement(zk, key(type, path));
        }
    }

    /** A waiter gave up on the watch; the last one of the session removes it from the server. */
    public static void release(ZooKeeper zk, WatcherType type, String path) {
        release(zk, type, path, null);
    }

    /**
     * As {@link #release(ZooKeeper, WatcherType, String)}; while others of the session still need
     * the server's watch, {@code watcher} (if not null) is dropped on the client side only.
     */
    public static void release(ZooKeeper zk, WatcherType type, String path, org.apache.zookeeper.Watcher watcher) {
        synchronized (COUNTS) {
            if (decrement(zk, key(type, path)) > 0) {
                if (watcher != null) {
                    try {
                        zk.removeWatches(path, watcher, type, true, (rc, p, ctx) -> { }, null);
                    } catch (RuntimeException e) {
                        LOG.debug("client-side watcher removal on {} failed", path, e);
                    }
                }
                return;
            }
            try {
                zk.removeAllWatches(path, type, false, (rc, p, ctx) -> {
                    Code code = Code.get(rc);
                    if (code != Code.OK && code != Code.NOWATCHER) {
                        // Not connected: the server forgets it when it fires or the session ends.
                        LOG.debug("server-side removal of the watch on {} failed: {}", path, code);
                    }
                }, null);
            } catch (RuntimeException e) {
                LOG.debug("watch removal on {} failed", path, e);
            }
        }
    }

    private static int decrement(ZooKeeper zk, String key) {
        Map<String, Integer> m = COUNTS.get(zk);
        if (m == null) {
            return 0;
        }
        Integer left = m.computeIfPresent(key, (k, n) -> n > 1 ? n - 1 : null);
        if (m.isEmpty()) {
            COUNTS.remove(zk);
        }
        return left == null ? 0 : left;
    }
}
