package io.github.zkrecipes.internal.queue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;

/**
 * The asynchronous ZooKeeper calls the engine (and every recipe module: internal API) makes, as
 * futures. Asynchronous calls let the engine
 * pipeline requests (a session's requests are answered in order) and wait with its own deadline.
 * Callbacks run on the ZooKeeper client's event thread and only complete the future.
 */
public final class ZkOps {
    private ZkOps() {}

    public static CompletableFuture<Reply<String>> createEphemeralSequential(ZooKeeper zk, String prefix, byte[] data, List<ACL> acl) {
        CompletableFuture<Reply<String>> f = new CompletableFuture<>();
        QueueMetrics.CREATES.increment();
        zk.create(prefix, data, acl, CreateMode.EPHEMERAL_SEQUENTIAL,
                (rc, path, ctx, name, stat) -> Reply.complete(f, rc, name, stat), null);
        return f;
    }

    /**
     * {@code companions} and an ephemeral-sequential create of {@code prefix}, in one transaction
     * (one commit), with an {@code exists} of the first companion pipelined behind it. A
     * transaction's creates share its zxid, and ZooKeeper's multi reply carries no stat, so the
     * companion's stat gives the new node's {@code czxid}: no extra round trip.
     *
     * <p>The reply: OK with the new node's path and a stat holding its czxid and owner (null if the
     * companion was deleted at once); or the first failing operation's code, with that operation's
     * path as the value (so the caller can tell a refused companion from a refused create); or
     * connection trouble with a null value. The companions must be creates.
     */
    public static CompletableFuture<Reply<String>> createWith(ZooKeeper zk, List<Op> companions, String prefix,
            byte[] data, List<ACL> acl) {
        List<Op> ops = new java.util.ArrayList<>(companions);
        ops.add(Op.create(prefix, data, acl, CreateMode.EPHEMERAL_SEQUENTIAL));
        QueueMetrics.CREATES.increment();
        long sid = zk.getSessionId();
        CompletableFuture<Reply<List<OpResult>>> multi = multi(zk, ops);
        CompletableFuture<Reply<Stat>> companion = exists(zk, companions.get(0).getPath());
        return multi.thenCombine(companion, (m, c) -> {
            if (m.ok()) {
                String created = ((OpResult.CreateResult) m.value().get(ops.size() - 1)).getPath();
                if (c.ok() && c.value() != null) {
                    Stat stat = new Stat();
                    stat.setCzxid(c.value().getCzxid());
                    stat.setEphemeralOwner(sid);
                    return new Reply<>(m.code(), created, stat);
                }
                return new Reply<>(m.code(), created, null);
            }
            if (m.value() != null) {
                for (int i = 0; i < m.value().size(); i++) {
                    if (m.value().get(i) instanceof OpResult.ErrorResult e && e.getErr() != Code.OK.intValue()
                            && e.getErr() != Code.RUNTIMEINCONSISTENCY.intValue()) {
                        return new Reply<>(Code.get(e.getErr()), ops.get(i).getPath(), null);
                    }
                }
            }
            return new Reply<>(m.code(), null, null);
        });
    }

    public static CompletableFuture<Reply<List<String>>> children(ZooKeeper zk, String path, Watcher watcher) {
        CompletableFuture<Reply<List<String>>> f = new CompletableFuture<>();
        QueueMetrics.LISTINGS.increment();
        if (watcher != null) {
            QueueMetrics.WATCHES.increment();
        }
        zk.getChildren(path, watcher, (rc, p, ctx, children, stat) -> Reply.complete(f, rc, children, stat), null);
        return f;
    }

    /** getData rather than exists: on a missing node it leaves no watch behind. */
    public static CompletableFuture<Reply<byte[]>> data(ZooKeeper zk, String path, Watcher watcher) {
        CompletableFuture<Reply<byte[]>> f = new CompletableFuture<>();
        if (watcher != null) {
            QueueMetrics.WATCHES.increment();
        }
        zk.getData(path, watcher, (rc, p, ctx, data, stat) -> Reply.complete(f, rc, data, stat), null);
        return f;
    }

    public static CompletableFuture<Reply<Stat>> exists(ZooKeeper zk, String path) {
        CompletableFuture<Reply<Stat>> f = new CompletableFuture<>();
        zk.exists(path, false, (rc, p, ctx, stat) -> Reply.complete(f, rc, stat, stat), null);
        return f;
    }

    /** exists with a watcher: unlike getData, it leaves a watch on a missing node (fires when it is created). */
    public static CompletableFuture<Reply<Stat>> existsWatch(ZooKeeper zk, String path, Watcher watcher) {
        CompletableFuture<Reply<Stat>> f = new CompletableFuture<>();
        QueueMetrics.WATCHES.increment();
        zk.exists(path, watcher, (rc, p, ctx, stat) -> Reply.complete(f, rc, stat, stat), null);
        return f;
    }

    public static CompletableFuture<Reply<Stat>> setData(ZooKeeper zk, String path, byte[] data, int version) {
        CompletableFuture<Reply<Stat>> f = new CompletableFuture<>();
        zk.setData(path, data, version, (rc, p, ctx, stat) -> Reply.complete(f, rc, stat, stat), null);
        return f;
    }

    public static CompletableFuture<Reply<Void>> delete(ZooKeeper zk, String path) {
        CompletableFuture<Reply<Void>> f = new CompletableFuture<>();
        QueueMetrics.DELETES.increment();
        zk.delete(path, -1, (rc, p, ctx) -> Reply.complete(f, rc, null, null), null);
        return f;
    }

    public static CompletableFuture<Reply<List<OpResult>>> multi(ZooKeeper zk, List<Op> ops) {
        CompletableFuture<Reply<List<OpResult>>> f = new CompletableFuture<>();
        zk.multi(ops, (rc, p, ctx, results) -> Reply.complete(f, rc, results, null), null);
        return f;
    }

    /**
     * A synchronous listing, for a caller that waits for it anyway: ZooKeeper hands a synchronous
     * reply straight from its I/O thread to the caller, where an asynchronous one passes through
     * the event thread first (one thread hand-off less per round trip, which shows under load).
     * Bounded by the client's own failure detection (a connection loss fails it within the read
     * timeout, two thirds of the session timeout), not by a deadline: callers use it only when
     * their deadline is further away than that.
     */
    public static Reply<List<String>> childrenNow(ZooKeeper zk, String path) throws InterruptedException {
        QueueMetrics.LISTINGS.increment();
        try {
            return new Reply<>(org.apache.zookeeper.KeeperException.Code.OK, zk.getChildren(path, false), null);
        } catch (org.apache.zookeeper.KeeperException e) {
            return new Reply<>(e.code(), null, null);
        }
    }
}
