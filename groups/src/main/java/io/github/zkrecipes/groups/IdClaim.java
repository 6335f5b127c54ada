package io.github.zkrecipes.groups;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.Connections;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.Reply;
import io.github.zkrecipes.internal.queue.ZkOps;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member id's claim: an ephemeral node {@code <group>/id-<url-encoded id>} whose creation the
 * ensemble lets succeed for one session only, so two joins with the same id can never both
 * succeed, at the cost of one create (no listing, no reads of other members). The member node
 * itself is still made by the queue engine; the claim only guards the id. It is not a queue node,
 * so the engine and {@link GroupView} ignore it.
 *
 * <p>A claim create whose reply was lost is recognised by the random nonce in its data when it is
 * sent again (NODEEXISTS, same session, same nonce: ours). A claim lives exactly as long as its
 * session or until {@link #release()}.
 */
final class IdClaim {
    private static final Logger LOG = LoggerFactory.getLogger(IdClaim.class);
    static final String PREFIX = "id-";

    private final ZkSession session;
    private final String path;       // user path
    private final long sessionId;

    private IdClaim(ZkSession session, String path, long sessionId) {
        this.session = session;
        this.path = path;
        this.sessionId = sessionId;
    }

    /** The claim node's name for {@code memberId}: never a queue node name, always a valid znode name. */
    static String name(String memberId) {
        return PREFIX + URLEncoder.encode(memberId, StandardCharsets.UTF_8).replace(".", "%2E");
    }

    /** Sends the claim's create; {@link Pending#await()} settles it. */
    static Pending send(ZkSession session, String group, String memberId) {
        session.ensureOpen();
        String path = group + "/" + name(memberId);
        byte[] nonce = ("member=" + memberId.replace('\n', ' ') + "\nclaim=" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        ZooKeeper zk = session.zookeeper();
        return new Pending(session, group, memberId, path, nonce, zk.getSessionId(), create(session, zk, path, nonce));
    }

    private static CompletableFuture<Reply<String>> create(ZkSession session, ZooKeeper zk, String path, byte[] nonce) {
        String serverPath = session.serverPath(path);
        CompletableFuture<Reply<String>> f = new CompletableFuture<>();
        zk.create(serverPath, nonce, session.aclProvider().getAclForPath(serverPath), CreateMode.EPHEMERAL,
                (rc, p, ctx, name) -> f.complete(new Reply<>(Code.get(rc), name, null)), null);
        return f;
    }

    /** A claim whose create was sent. */
    record Pending(ZkSession session, String group, String memberId, String path, byte[] nonce, long sid,
            CompletableFuture<Reply<String>> reply) {

        /**
         * The claim (1 round trip, already under way; +1 to read the holder on a conflict; a full
         * retry after connection trouble or if the group's directory did not exist yet).
         *
         * @throws DuplicateMemberException if another live session holds the id
         */
        IdClaim await() throws InterruptedException {
            Reply<String> r = Reply.await(reply, Deadline.none());
            IdClaim c = settle(session, group, memberId, path, nonce, sid, r);
            return c != null ? c : take(session, group, memberId, nonce);
        }
    }

    /** The claim after a create reply, null to try again, or a DuplicateMemberException. */
    private static IdClaim settle(ZkSession session, String group, String memberId, String path, byte[] nonce, long sid,
            Reply<String> r) throws InterruptedException {
        switch (r.code()) {
            case OK -> {
                return new IdClaim(session, path, sid);
            }
            case NODEEXISTS -> {
                ZooKeeper zk = session.zookeeper();
                Reply<byte[]> holder = Reply.await(ZkOps.data(zk, session.serverPath(path), null), Deadline.none());
                if (holder.ok()) {
                    if (holder.stat().getEphemeralOwner() == sid && Arrays.equals(holder.value(), nonce)) {
                        return new IdClaim(session, path, sid); // our own create, whose reply was lost
                    }
                    throw new DuplicateMemberException(memberId, group, path, holder.stat().getEphemeralOwner(), sid);
                }
                return null; // gone meanwhile (the holder left) or connection trouble: try again
            }
            case NONODE -> {
                makeDirectory(session, session.zookeeper(), group);
                return null;
            }
            case NOAUTH -> throw new AccessDeniedException("not allowed to create " + path, path, sid, null);
            default -> {
                if (!r.connectionTrouble() && r.code() != Code.SESSIONEXPIRED) {
                    throw new CoordinationException("cannot claim member id '" + memberId + "': " + r.code(), path,
                            sid, KeeperException.create(r.code(), session.serverPath(path)));
                }
                return null; // connection trouble: the next attempt finds our node by its nonce if it was applied
            }
        }
    }

    /** Claims until it is settled: after connection trouble, the same nonce recognises our own node. */
    private static IdClaim take(ZkSession session, String group, String memberId, byte[] nonce) throws InterruptedException {
        String path = group + "/" + name(memberId);
        while (true) {
            session.ensureOpen();
            Connections.awaitConnected(session, group, Deadline.none());
            ZooKeeper zk = session.zookeeper();
            long sid = zk.getSessionId();
            IdClaim c = settle(session, group, memberId, path, nonce, sid, Reply.await(create(session, zk, path, nonce), Deadline.none()));
            if (c != null) {
                return c;
            }
        }
    }

    private static void makeDirectory(ZkSession session, ZooKeeper zk, String group) throws InterruptedException {
        try {
            ZKPaths.mkdirs(zk, session.serverPath(group), true, session.aclProvider(), true);
        } catch (KeeperException e) {
            if (e.code() == Code.NOAUTH) {
                throw new AccessDeniedException("not allowed to create the group directory " + group, group,
                        session.sessionId(), e);
            }
            // NODEEXISTS or connection trouble: the create is tried again
        }
    }

    /**
     * Deletes the claim, only ever in its own session: a delete sent after the session expired
     * could hit a claim of the same name that someone else made since. One delete; if the reply is
     * lost, sent again when the same session reconnects; nothing to do once the session has ended
     * (the claim ended with it). Waits for the reply at most about a second, so that a join with
     * the same id by anyone right after this returns finds the id free. Never throws; keeps the
     * interrupt flag.
     */
    void release() {
        java.util.concurrent.CountDownLatch replied = attempt();
        try {
            replied.await(1, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private java.util.concurrent.CountDownLatch attempt() {
        java.util.concurrent.CountDownLatch replied = new java.util.concurrent.CountDownLatch(1);
        if (session.isClosed() || session.sessionId() != sessionId) {
            replied.countDown();
            return replied;
        }
        ZooKeeper zk;
        try {
            zk = session.zookeeper();
        } catch (RuntimeException closed) {
            replied.countDown();
            return replied;
        }
        if (zk.getSessionId() != sessionId) {
            replied.countDown();
            return replied;
        }
        zk.delete(session.serverPath(path), -1, (rc, p, ctx) -> {
            replied.countDown();
            Code c = Code.get(rc);
            if (c == Code.CONNECTIONLOSS || c == Code.OPERATIONTIMEOUT || c == Code.REQUESTTIMEOUT) {
                retryOnReconnect();
            } else if (c != Code.OK && c != Code.NONODE && c != Code.SESSIONEXPIRED) {
                LOG.warn("cannot delete member id claim {}: {}; it goes with its session", path, c);
            }
        }, null);
        return replied;
    }

    private void retryOnReconnect() {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        io.github.zkrecipes.Registration[] registration = new io.github.zkrecipes.Registration[1];
        try {
            registration[0] = session.addStateListener((state, id) -> {
                if (state == io.github.zkrecipes.SessionState.SUSPENDED || !done.compareAndSet(false, true)) {
                    return;
                }
                if (registration[0] != null) {
                    registration[0].close();
                }
                if (state == io.github.zkrecipes.SessionState.RECONNECTED) {
                    attempt();
                } // LOST, CLOSED, a new session: the claim is gone with its session
            });
        } catch (IllegalStateException closed) {
            return;
        }
        if (session.state().isConnected() && done.compareAndSet(false, true)) {
            registration[0].close();
            attempt(); // reconnected before the listener was in place
        }
    }

    long sessionId() {
        return sessionId;
    }
}
