package io.github.zkrecipes.groups;

import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.Deadline;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * ZooKeeper's asynchronous calls as futures, so that the recipes here can pipeline requests (a
 * session's requests are answered in order) and wait with their own deadline. Callbacks run on the
 * client's event thread and only complete the future.
 */
final class Zk {
    /** How long one round trip may take even when the caller's deadline is shorter. */
    static final java.time.Duration GRACE = java.time.Duration.ofSeconds(2);

    private Zk() {}

    record Result<T>(Code code, T value, Stat stat) {
        boolean ok() {
            return code == Code.OK;
        }

        /** The request may or may not have been applied; the session may live. */
        boolean connectionTrouble() {
            return code == Code.CONNECTIONLOSS || code == Code.OPERATIONTIMEOUT || code == Code.SESSIONMOVED
                    || code == Code.REQUESTTIMEOUT;
        }
    }

    /** getData, not exists: on a missing node it leaves no watch behind. */
    static CompletableFuture<Result<byte[]>> getData(ZooKeeper zk, String path, Watcher watcher) {
        CompletableFuture<Result<byte[]>> f = new CompletableFuture<>();
        zk.getData(path, watcher, (rc, p, ctx, data, stat) -> f.complete(new Result<>(Code.get(rc), data, stat)), null);
        return f;
    }

    /** getChildren without a watch; the stat is the parent's. */
    static CompletableFuture<Result<List<String>>> getChildren(ZooKeeper zk, String path) {
        CompletableFuture<Result<List<String>>> f = new CompletableFuture<>();
        zk.getChildren(path, false, (rc, p, ctx, children, stat) -> f.complete(new Result<>(Code.get(rc), children, stat)), null);
        return f;
    }

    static CompletableFuture<Result<Stat>> setData(ZooKeeper zk, String path, byte[] data, int version) {
        CompletableFuture<Result<Stat>> f = new CompletableFuture<>();
        zk.setData(path, data, version, (rc, p, ctx, stat) -> f.complete(new Result<>(Code.get(rc), stat, stat)), null);
        return f;
    }

    static CompletableFuture<Result<List<OpResult>>> multi(ZooKeeper zk, List<Op> ops) {
        CompletableFuture<Result<List<OpResult>>> f = new CompletableFuture<>();
        zk.multi(ops, (rc, p, ctx, results) -> f.complete(new Result<>(Code.get(rc), results, null)), null);
        return f;
    }

    /** The reply, or null if {@code deadline} passed first. */
    static <T> Result<T> await(CompletableFuture<Result<T>> f, Deadline deadline) throws InterruptedException {
        try {
            return deadline.isForever() ? f.get() : f.get(deadline.remainingNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            return null;
        } catch (ExecutionException e) {
            throw new IllegalStateException("ZooKeeper callback failed", e.getCause());
        }
    }

    /**
     * The current handle, provided the session is still {@code sessionId}.
     *
     * @throws SessionLostException naming {@code path} otherwise
     */
    static ZooKeeper handle(ZkSession session, long sessionId, String path) {
        if (session.isClosed()) {
            throw new SessionLostException("session closed", path, sessionId, null);
        }
        if (session.state() == SessionState.LOST || session.sessionId() != sessionId) {
            throw new SessionLostException("session expired; its nodes are gone", path, sessionId, null);
        }
        try {
            ZooKeeper zk = session.zookeeper();
            if (zk.getSessionId() != sessionId) {
                throw new SessionLostException("session expired; its nodes are gone", path, sessionId, null);
            }
            return zk;
        } catch (IllegalStateException | CoordinationException e) {
            throw new SessionLostException("session closed", path, sessionId, e);
        }
    }

    /**
     * Waits until the session is connected; false if the deadline passed first.
     *
     * @throws SessionLostException if the session is closed
     */
    static boolean awaitConnected(ZkSession session, String path, Deadline deadline) throws InterruptedException {
        if (session.state().isConnected()) {
            return true;
        }
        CountDownLatch latch = new CountDownLatch(1);
        Registration r;
        try {
            r = session.addStateListener((state, id) -> {
                if (state.isConnected() || state == SessionState.CLOSED) {
                    latch.countDown();
                }
            });
        } catch (IllegalStateException closed) {
            throw new SessionLostException("session closed", path, session.sessionId(), null);
        }
        try {
            if (!session.state().isConnected()) {
                if (deadline.isForever()) {
                    latch.await();
                } else if (!latch.await(deadline.remainingNanos(), TimeUnit.NANOSECONDS)) {
                    return false;
                }
            }
            if (session.isClosed()) {
                throw new SessionLostException("session closed", path, session.sessionId(), null);
            }
            return true;
        } finally {
            r.close();
        }
    }
}
