package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooKeeper;

/**
 * Ends a session on the ensemble while its client still believes in it: what the ensemble does to
 * a client that stays silent for longer than its session timeout (a long GC pause, a stalled VM).
 * A second, raw ZooKeeper handle attaches to the session with its id and password, then closes
 * it; the ensemble deletes the session's ephemeral nodes at once. The victim's own client only
 * learns of it when it next talks to the ensemble.
 */
final class ServerSideExpiry {
    private ServerSideExpiry() {}

    /**
     * Closes {@code victim}'s current ZooKeeper session on the ensemble. Returns once the close was
     * acknowledged; does not wait for {@code victim} to notice.
     */
    static void expire(ZkSession victim, String connectString, Duration timeout)
            throws IOException, InterruptedException, TimeoutException {
        ZooKeeper handle = victim.zookeeper();
        long sessionId = handle.getSessionId();
        byte[] password = handle.getSessionPasswd();
        CountDownLatch attached = new CountDownLatch(1);
        ZooKeeper impostor = new ZooKeeper(connectString, (int) victim.negotiatedSessionTimeout().toMillis(), e -> {
            if (e.getState() == KeeperState.SyncConnected) {
                attached.countDown();
            }
        }, sessionId, password);
        try {
            if (!attached.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new TimeoutException("could not attach to session 0x" + Long.toHexString(sessionId)
                        + " within " + timeout.toSeconds() + " s");
            }
        } finally {
            impostor.close(); // closing the session, not only the connection: its ephemeral nodes go
        }
    }
}
