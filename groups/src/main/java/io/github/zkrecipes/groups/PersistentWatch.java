package io.github.zkrecipes.groups;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.WatchRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
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
 * One persistent watch (ZooKeeper 3.6+ {@code addWatch}) on one path, the state machine behind
 * {@link GroupView} and {@link GroupConfig#addListener}, and the one thread their listeners run on.
 *
 * <p><b>Order.</b> Watch events and read replies are handled where ZooKeeper delivers them, on the
 * client's event thread, in the server's order, under one lock (a new session brings a new event
 * thread; the lock keeps the two from overlapping). Handling only updates state and sends reads:
 * nothing blocks there. What users see (listener calls) is {@link #post}ed to this watch's own
 * thread, in the same order. A persistent watch has no gap between re-armings. After a
 * reconnection of the same session the client re-registers it by itself, but events in between
 * may be lost: the owner is asked to {@code resync}. After session expiry the watch died with the
 * session: it is added again on the new handle, then {@code resync} runs.
 */
final class PersistentWatch implements Watcher {
    private static final Logger LOG = LoggerFactory.getLogger(PersistentWatch.class);

    private final ZkSession session;
    private final String serverPath;
    private final AddWatchMode mode;
    private final ExecutorService thread;
    private final Consumer<WatchedEvent> onEvent;
    private final Consumer<ZooKeeper> resync;
    private final Object lock = new Object();
    private Registration sessionRegistration;
    private ZooKeeper watched; // the handle the watch is on; guarded by lock
    private volatile boolean closed;
    private volatile Runnable onSessionClosed = () -> { };

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
            return t;
        });
    }

    /** Called (on the session's state thread) once the session is closed under the watch. Set before {@link #start()}. */
    void onSessionClosed(Runnable r) {
        onSessionClosed = r;
    }

    /** Adds the watch, then the first {@code resync}. */
    void start() {
        sessionRegistration = session.addStateListener((state, id) -> {
            switch (state) {
                case RECONNECTED -> locked(() -> resync.accept(watched));
                case CONNECTED -> locked(this::establish);
                case CLOSED -> {
                    stop(); // the watch went with the session; only the thread is left
                    onSessionClosed.run();
                }
                default -> { }
            }
        });
        locked(this::establish);
    }

    private void establish() {
        if (!session.state().isConnected()) {
            return; // CONNECTED or RECONNECTED will call again
        }
        ZooKeeper zk;
        try {
            zk = session.zookeeper();
        } catch (RuntimeException e) {
            return;
        }
        if (zk != watched) {
            WatchRegistry.arm(zk, watcherType(), serverPath, () -> {
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

    private Watcher.WatcherType watcherType() {
        return mode == AddWatchMode.PERSISTENT ? Watcher.WatcherType.Persistent : Watcher.WatcherType.PersistentRecursive;
    }

    @Override
    public void process(WatchedEvent event) {
        Event.EventType t = event.getType();
        if (t == Event.EventType.None || t == Event.EventType.PersistentWatchRemoved) {
            return; // connection events: the session listener covers them
        }
        locked(() -> onEvent.accept(event));
    }

    /** Runs {@code step} of the state machine now, under the lock; skipped once closed. Must not block. */
    void locked(Runnable step) {
        synchronized (lock) {
            if (closed) {
                return;
            }
            try {
                step.run();
            } catch (RuntimeException e) {
                LOG.warn("handling a change of {} failed", serverPath, e);
            }
        }
    }

    /** Runs {@code task} on the watch's thread, after everything posted before it; dropped once closed. */
    void post(Runnable task) {
        if (closed) {
            return;
        }
        try {
            thread.execute(() -> {
                if (!closed) {
                    task.run();
                }
            });
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    private void stop() {
        synchronized (lock) {
            closed = true;
        }
        thread.shutdown();
    }

    /**
     * Removes the watch from the server (waiting at most {@code wait} for the reply) and stops the
     * thread. Idempotent; may be called from a listener.
     */
    void close(Duration wait) {
        CountDownLatch removed = new CountDownLatch(1);
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                if (watched != null) {
                    WatchRegistry.release(watched, watcherType(), serverPath, this);
                    // a session's requests are answered in order: this no-op read's reply marks the removal's
                    watched.exists("/", false, (rc, p, ctx, s) -> removed.countDown(), null);
                } else {
                    removed.countDown();
                }
            } catch (RuntimeException e) {
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
        thread.shutdown();
    }
}
