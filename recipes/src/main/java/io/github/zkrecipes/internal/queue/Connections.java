package io.github.zkrecipes.internal.queue;

import io.github.zkrecipes.CoordinationException;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.ZooKeeper;

/**
 * The session checks every recipe module makes before a request of its own (internal API): the
 * current handle, bound to the session that made a node, and waiting for a connection.
 */
public final class Connections {
    private Connections() {}

    /**
     * The current handle, provided the session is still {@code sessionId}.
     *
     * @throws SessionLostException naming {@code path} otherwise
     */
    public static ZooKeeper handle(ZkSession session, long sessionId, String path) {
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
            if (e instanceof SessionLostException lost) {
                throw lost;
            }
            throw new SessionLostException("session closed", path, sessionId, e);
        }
    }

    /**
     * Waits until the session is connected; false if the deadline passed first.
     *
     * @throws SessionLostException naming {@code path} if the session is closed
     */
    public static boolean awaitConnected(ZkSession session, String path, Deadline deadline) throws InterruptedException {
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
