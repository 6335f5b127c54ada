package io.github.zkrecipes.groups;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One persistent watch (ZooKeeper 3.6+ {@code addWatch}) on one path, and the one thread that
 * handles what it reports: the serialized state machine behind {@link GroupView} and {@link
 * GroupConfig#addListener}.
 *
 * <p>Watch events, read replies (when the owner's callbacks {@link #post} them) and session
 * changes all run on that thread, in the order ZooKeeper delivered them, which is the server's
 * order. A persistent watch has no gap between re-armings. After a reconnection of the same
 * session the client re-registers it by itself, but events in between may be lost: the owner is
 * asked to {@code resync}. After session expiry the watch died with the session: it is added
 * again on the new handle, then {@code resync} runs.
 */
final class PersistentWatch implements Watcher {
    private static final Logger LOG = LoggerFactory.getLogger(PersistentWatch.class);

    private final ZkSession session;
    private final String serverPath;
    private final AddWatchMode mode;
    private final ExecutorService thread;
    private final Consumer<WatchedEvent> onEvent;
    private final Consumer<ZooKeeper> resync;
    private Registration sessionRegistration;
    private ZooKeeper watched; // the handle the watch is on; the thread only
    private volatile boolean closed;
    private volatile Thread owner;

    PersistentWatch(ZkSession session, String serverPath, AddWatchMode mode, String threadName,
            Consumer<WatchedEvent> onEvent, Consumer<ZooKeeper> resync) {
        this.session = session;
        this.serverPath = serverPath;
        this.mode = mode;
        this.onEvent = onEvent;
        this.resync = resync;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            owner = t;
            return t;
        });
    }

    /** Adds the watch, then asks for the first {@code resync}; both on the thread. */
    void start() {
        sessionRegistration = session.addStateListener((state, id) -> {
            switch (state) {
                case RECONNECTED -> post(() -> resync.accept(watched));
                case CONNECTED -> post(this::establish);
                default -> { }
            }
        });
        post(this::establish);
    }

    private void establish() {
        if (closed || !session.state().isConnected()) {
            return; // CONNECTED or RECONNECTED will call again
        }
        ZooKeeper zk;
        try {
            zk = session.zookeeper();
        } catch (RuntimeException e) {
            return;
        }
        if (zk != watched) {
            WatchType type = WatchType.of(mode);
            Watches.arm(zk, type.type, serverPath, () -> {
                zk.addWatch(serverPath, this, mode, (rc, p, ctx) -> {
                    Code c = Code.get(rc);
                    if (c != Code.OK) {
                        LOG.debug("addWatch on {} failed: {}; retried after reconnecting", serverPath, c);
                    }
                }, null);
                return null;
            });
            watched = zk;
        }
        resync.accept(zk);
    }

    private enum WatchType {
        PERSISTENT(Watcher.WatcherType.Persistent), RECURSIVE(Watcher.WatcherType.PersistentRecursive);

        final Watcher.WatcherType type;

        WatchType(Watcher.WatcherType type) {
            this.type = type;
        }

        static WatchType of(AddWatchMode mode) {
            return mode == AddWatchMode.PERSISTENT ? PERSISTENT : RECURSIVE;
        }
    }

    @Override
    public void process(WatchedEvent event) {
        Event.EventType t = event.getType();
        if (t == Event.EventType.None || t == Event.EventType.PersistentWatchRemoved) {
            return; // connection events: the session listener covers them
        }
        post(() -> onEvent.accept(event));
    }

    /** Runs {@code task} on the thread, after everything posted before it; dropped once closed. */
    void post(Runnable task) {
        if (closed) {
            return;
        }
        try {
            thread.execute(() -> {
                if (!closed) {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        LOG.warn("handling a change of {} failed", serverPath, e);
                    }
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    /** True on the watch's own thread. */
    boolean onThread() {
        return Thread.currentThread() == owner;
    }

    /**
     * Removes the watch from the server (waiting at most {@code wait} for the reply) and stops the
     * thread. Idempotent.
     */
    void close(Duration wait) {
        if (closed) {
            return;
        }
        java.util.concurrent.CountDownLatch removed = new java.util.concurrent.CountDownLatch(1);
        Runnable remove = () -> {
                closed = true;
                try {
                    if (watched != null) {
                        Watches.release(watched, WatchType.of(mode).type, serverPath, this);
                        // removal requests are answered in order: a no-op read after it marks its reply
                        watched.exists("/", false, (rc, p, ctx, s) -> removed.countDown(), null);
                    } else {
                        removed.countDown();
                    }
                } catch (RuntimeException e) {
                    removed.countDown();
                }
            };
        if (onThread()) {
            remove.run(); // closed from a listener: do not wait for ourselves
        } else {
            try {
                thread.execute(remove);
            } catch (RejectedExecutionException e) {
                removed.countDown();
            }
        }
        if (sessionRegistration != null) {
            sessionRegistration.close();
        }
        try {
            removed.await(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closed = true;
        thread.shutdown();
    }
}
