package io.github.zkrecipes.groups;

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
 * removes the server-side watch only when no other watcher of the session still needs it.
 *
 * <p>Why: the server keeps one watch per session, path and type however many client watchers
 * share it; {@code removeWatches(path, watcher, ...)} drops only the client-side watcher, and
 * {@code removeAllWatches} drops the server's watch for every watcher of the session. Arming and
 * removal are sent under one lock, so a session's requests reach the server in count order.
 */
final class Watches {
    private static final Logger LOG = LoggerFactory.getLogger(Watches.class);
    private static final Map<ZooKeeper, Map<String, Integer>> COUNTS = new WeakHashMap<>();

    private Watches() {}

    private static String key(WatcherType type, String path) {
        return type.name() + ":" + path;
    }

    /** Counts one more watcher and sends the request that sets the watch, atomically. */
    static <T> T arm(ZooKeeper zk, WatcherType type, String path, java.util.function.Supplier<T> send) {
        synchronized (COUNTS) {
            COUNTS.computeIfAbsent(zk, z -> new HashMap<>()).merge(key(type, path), 1, Integer::sum);
            return send.get();
        }
    }

    /** A one-shot watch fired (or was never set): it is gone on the server for this watcher. */
    static void fired(ZooKeeper zk, WatcherType type, String path) {
        synchronized (COUNTS) {
            decrement(zk, key(type, path));
        }
    }

    /** A watcher gave up; the last one of the session removes the watch from the server. */
    static void release(ZooKeeper zk, WatcherType type, String path, org.apache.zookeeper.Watcher watcher) {
        synchronized (COUNTS) {
            if (decrement(zk, key(type, path)) > 0) {
                // Others still need the server's watch: drop only our client-side watcher.
                zk.removeWatches(path, watcher, type, true, (rc, p, ctx) -> { }, null);
                return;
            }
            zk.removeAllWatches(path, type, false, (rc, p, ctx) -> {
                Code code = Code.get(rc);
                if (code != Code.OK && code != Code.NOWATCHER) {
                    // Not connected: the server forgets it when it fires or the session ends.
                    LOG.debug("server-side removal of the {} watch on {} failed: {}", type, path, code);
                }
            }, null);
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
