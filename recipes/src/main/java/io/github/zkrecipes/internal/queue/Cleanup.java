package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.SessionStateListener;
import io.github.zkrecipes.ZkSession;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.ZooKeeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A guaranteed background delete of a queue node: retried after every reconnection until it
 * succeeds, the node is found gone, or the node's session ends (which deletes it anyway). Used
 * when a delete cannot be confirmed now, and when a create may have been applied but its reply
 * was never seen (then the node is looked up by its protected id first). Uses no thread of its
 * own: it runs in ZooKeeper callbacks and session events.
 */
final class Cleanup implements SessionStateListener {
    private static final Logger LOG = LoggerFactory.getLogger(Cleanup.class);

    private final ZkSession session;
    private final String dir;
    private final String protectedId;
    private final long sessionId;
    private volatile String name;
    private final AtomicBoolean done = new AtomicBoolean();
    private volatile Registration registration;
    private final java.util.List<String> companions; // deleted too once our node is found by its id
    private final long czxid; // if not 0: delete only a node created by this transaction (a reusable name)

    private Cleanup(ZkSession session, String dir, String name, String protectedId, long sessionId,
            java.util.List<String> companions, long czxid) {
        this.companions = companions;
        this.czxid = czxid;
        this.session = session;
        this.dir = dir;
        this.name = name;
        this.protectedId = protectedId;
        this.sessionId = sessionId;
    }

    /** Deletes {@code dir/name} of session {@code sessionId} in the background. */
    static void deleteNode(ZkSession session, String dir, String name, long sessionId) {
        new Cleanup(session, dir, name, null, sessionId, java.util.List.of(), 0).start();
    }

    /**
     * Deletes {@code serverPath} in the background if it is still the node created by transaction
     * {@code czxid} (a companion: its name can be taken again by a later create, even by this
     * session, which a delete by name would hit).
     */
    static void deleteCreatedIn(ZkSession session, String serverPath, long sessionId, long czxid) {
        ZKPaths.PathAndNode pn = ZKPaths.getPathAndNode(serverPath);
        new Cleanup(session, pn.getPath(), pn.getNode(), null, sessionId, java.util.List.of(), czxid).start();
    }

    /** Finds the node with {@code protectedId} under {@code dir}, if one was created, and deletes it. */
    static void deleteById(ZkSession session, String dir, String protectedId, long sessionId) {
        deleteById(session, dir, protectedId, sessionId, java.util.List.of());
    }

    /**
     * As {@link #deleteById(ZkSession, String, String, long)}; if the node is found (so the
     * transaction that made it and {@code companionPaths} was applied), the companions are deleted
     * too, each the same guaranteed way. Nothing is deleted when our node is not found: then the
     * companions, if they exist, are someone else's.
     */
    static void deleteById(ZkSession session, String dir, String protectedId, long sessionId,
            java.util.List<String> companionPaths) {
        new Cleanup(session, dir, null, protectedId, sessionId, java.util.List.copyOf(companionPaths), 0).start();
    }

    private void start() {
        try {
            registration = session.addStateListener(this);
        } catch (IllegalStateException closed) {
            finish(); // session closed: the ensemble deleted its ephemeral nodes
            return;
        }
        if (done.get()) {
            registration.close();
            return;
        }
        attempt();
    }

    @Override
    public void stateChanged(SessionState state, long id) {
        switch (state) {
            case RECONNECTED -> attempt();
            case CONNECTED, LOST, CLOSED -> finish(); // our session is over: its nodes are gone
            default -> { }
        }
    }

    private void attempt() {
        if (done.get()) {
            return;
        }
        if (session.isClosed() || session.sessionId() != sessionId) {
            finish();
            return;
        }
        if (!session.state().isConnected()) {
            return; // RECONNECTED will call again
        }
        ZooKeeper zk;
        try {
            zk = session.zookeeper();
        } catch (RuntimeException e) {
            finish();
            return;
        }
        if (zk.getSessionId() != sessionId) {
            finish();
            return;
        }
        String n = name;
        if (n != null && czxid != 0) {
            ZkOps.exists(zk, dir + "/" + n).thenAccept(s -> {
                if (s.ok() && s.value() != null && s.value().getCzxid() == czxid) {
                    ZkOps.delete(zk, dir + "/" + n).thenAccept(r -> afterDelete(r.code()));
                } else if (s.ok()) {
                    finish(); // gone, or a later node of the same name: not ours to delete
                } else {
                    afterDelete(s.code());
                }
            });
        } else if (n != null) {
            ZkOps.delete(zk, dir + "/" + n).thenAccept(r -> afterDelete(r.code()));
        } else {
            ZkOps.children(zk, dir, null).thenAccept(r -> {
                if (r.ok()) {
                    java.util.List<String> matches = new java.util.ArrayList<>();
                    for (String child : r.value()) {
                        QueueNode qn = QueueNode.parse(child);
                        if (qn != null && qn.id().equals(protectedId)) {
                            matches.add(child);
                        }
                    }
                    if (matches.isEmpty()) {
                        finish(); // never created
                        return;
                    }
                    // Only the node our session owns: another client may have copied the id.
                    java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger(matches.size());
                    for (String child : matches) {
                        ZkOps.exists(zk, dir + "/" + child).thenAccept(s -> {
                            if (s.ok() && s.value() != null && s.value().getEphemeralOwner() == sessionId) {
                                name = child;
                                for (String companion : companions) {
                                    deleteCreatedIn(session, companion, sessionId, s.value().getCzxid());
                                }
                                attempt();
                            } else if (s.connectionTrouble()) {
                                afterDelete(s.code()); // try again after reconnecting
                            } else if (pending.decrementAndGet() == 0 && name == null) {
                                finish(); // none of them is ours
                            }
                        });
                    }
                } else {
                    afterDelete(r.code());
                }
            });
        }
    }

    private void afterDelete(Code code) {
        switch (code) {
            case OK, NONODE, SESSIONEXPIRED -> finish();
            case CONNECTIONLOSS, OPERATIONTIMEOUT, SESSIONMOVED, REQUESTTIMEOUT -> {
                if (session.state() != null && session.state().isConnected()) {
                    attempt(); // the reconnection already happened before this callback
                }
            }
            default -> {
                LOG.warn("cannot delete queue node {}/{} of session 0x{}: {}; it stays until the session ends",
                        dir, name != null ? name : "(id " + protectedId + ")", Long.toHexString(sessionId), code);
                finish();
            }
        }
    }

    private void finish() {
        if (done.compareAndSet(false, true)) {
            Registration r = registration;
            if (r != null) {
                r.close();
            }
        }
    }
}
