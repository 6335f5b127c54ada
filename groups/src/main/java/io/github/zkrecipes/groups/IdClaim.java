package io.github.zkrecipes.groups;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.CompanionRefusedException;
import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.Reply;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.internal.queue.ZkOps;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A member id's claim: an ephemeral node {@code <group>/id-<url-encoded id>} whose creation the
 * ensemble lets succeed for one session only, so two joins with the same id can never both
 * succeed. The queue engine creates it in the same transaction as the member node (a companion
 * create: both or neither, one commit, no listing, no reads of other members). It is not a queue
 * node, so the engine and {@link GroupView} ignore it.
 *
 * <p>A transaction whose reply was lost is found again by the engine (by the member node's
 * protected id), and the claim with it; the random nonce in the claim's data tells our own claim
 * from another session's. A claim lives exactly as long as its session or until its member leaves (the engine deletes
 * both in one transaction; a background delete after connection trouble deletes the claim only
 * while its czxid is the member node's, so a later claim of the same id survives).
 */
final class IdClaim {
    private static final Logger LOG = LoggerFactory.getLogger(IdClaim.class);
    static final String PREFIX = "id-";
    /**
     * Server paths of claims whose join was given up (interrupted, failed) while its transaction
     * may have been in flight: the engine's background delete removes the claim, and a re-join of
     * the same id by the same session waits for that instead of calling its own leftover a
     * duplicate. Removed when a re-join sees the claim gone or stops waiting; bounded.
     */
    private static final java.util.Set<String> ABANDONED = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final int MAX_ABANDONED = 10_000;

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

    /** A claim to be created with the member node, in one transaction ({@link #op()}). */
    static Request request(ZkSession session, String group, String memberId) {
        session.ensureOpen();
        String path = group + "/" + name(memberId);
        byte[] nonce = ("member=" + memberId.replace('\n', ' ') + "\nclaim=" + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
        return new Request(session, group, memberId, path, nonce);
    }

    /** A claim not yet made: its create, and what to do when the ensemble refuses it. */
    record Request(ZkSession session, String group, String memberId, String path, byte[] nonce) {

        /** The claim's create (ephemeral, carrying a random nonce that recognises it as ours). */
        Op op() {
            String serverPath = session.serverPath(path);
            return Op.create(serverPath, nonce, session.aclProvider().getAclForPath(serverPath), CreateMode.EPHEMERAL);
        }

        /** The claim, made in session {@code sid} together with its member node. */
        IdClaim made(long sid) {
            ABANDONED.remove(session.serverPath(path)); // an earlier given-up join's claim is gone
            return new IdClaim(session, path, sid);
        }

        /** The join was given up with its transaction possibly applied: its clean-up is on the way. */
        void abandoned() {
            if (ABANDONED.size() < MAX_ABANDONED) {
                ABANDONED.add(session.serverPath(path));
            }
        }

        /**
         * Settles a refused claim (its transaction made nothing): returns to try again, or throws.
         * +1 round trip to read the holder when the id is taken.
         *
         * @throws DuplicateMemberException if another live member holds the id
         */
        void refused(CompanionRefusedException refused) throws InterruptedException {
            long sid = refused.sessionId();
            switch (refused.code()) {
                case NODEEXISTS -> {
                    ZooKeeper zk = session.zookeeper();
                    Reply<byte[]> holder = Reply.await(ZkOps.data(zk, session.serverPath(path), null), Deadline.none());
                    if (!holder.ok()) {
                        return; // gone meanwhile (the holder left) or connection trouble: try again
                    }
                    long owner = holder.stat().getEphemeralOwner();
                    String serverPath = session.serverPath(path);
                    if (owner == sid && ABANDONED.remove(serverPath)) {
                        // A join of ours with this id was given up while its transaction was in
                        // flight, and its background delete has not removed this claim yet: wait
                        // for that (one round trip or two), then try again. If it stays, the
                        // next refusal finds no abandoned join and names the holder.
                        awaitGone(zk, serverPath);
                        return;
                    }
                    if (owner == sid && Arrays.equals(holder.value(), nonce)) {
                        // Our own claim, whose member node is gone (deleted by someone else): a
                        // claim without a member is no join; drop it and join again.
                        LOG.warn("member id claim {} of this join has no member node; claiming again", path);
                        Reply.await(ZkOps.delete(zk, session.serverPath(path)), Deadline.none());
                        return;
                    }
                    throw new DuplicateMemberException(memberId, group, path, owner, sid);
                }
                case NOAUTH -> throw new AccessDeniedException("not allowed to create " + path, path, sid, refused);
                default -> {
                    if (!refused.code().equals(Code.SESSIONEXPIRED)) {
                        throw new CoordinationException("cannot claim member id '" + memberId + "': " + refused.code(),
                                path, sid, refused);
                    }
                    // the session ended: the next attempt runs in the new one
                }
            }
        }
    }

    /** Waits until {@code serverPath} is deleted, at most {@link SequentialQueue#ROUND_TRIP_GRACE}. */
    private static void awaitGone(ZooKeeper zk, String serverPath) throws InterruptedException {
        java.util.concurrent.CountDownLatch gone = new java.util.concurrent.CountDownLatch(1);
        org.apache.zookeeper.Watcher watcher = e -> {
            if (e.getType() == org.apache.zookeeper.Watcher.Event.EventType.NodeDeleted) {
                gone.countDown();
            }
        };
        Reply<byte[]> r = Reply.await(ZkOps.data(zk, serverPath, watcher), Deadline.none());
        if (!r.ok()) {
            return; // gone already (no watch was set), or connection trouble: the caller tries again
        }
        if (!gone.await(SequentialQueue.ROUND_TRIP_GRACE.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS)) {
            zk.removeWatches(serverPath, watcher, org.apache.zookeeper.Watcher.WatcherType.Data, true,
                    (rc, p, ctx) -> { }, null);
        }
    }

    long sessionId() {
        return sessionId;
    }

    /** The claim node's path, as the session's users see it. */
    String path() {
        return path;
    }
}
