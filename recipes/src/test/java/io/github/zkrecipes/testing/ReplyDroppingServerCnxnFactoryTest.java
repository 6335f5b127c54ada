package io.github.zkrecipes.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves against a real embedded server that {@link ReplyDroppingServerCnxnFactory} applies the create,
 * drops its reply (client sees CONNECTIONLOSS) and keeps the session alive across the reconnect.
 */
class ReplyDroppingServerCnxnFactoryTest {

    private static final int SESSION_TIMEOUT_MS = 10_000;
    private static final long WAIT_SECONDS = 30;
    private static final byte[] DATA = "x".getBytes(StandardCharsets.UTF_8);

    private static TestingServer server;

    private ConnectionWatcher watcher;
    private ZooKeeper zk;

    @BeforeAll
    static void startServer() throws Exception {
        ReplyDroppingServerCnxnFactory.install();
        server = new TestingServer(true);
    }

    @AfterAll
    static void stopServer() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            ReplyDroppingServerCnxnFactory.uninstall();
        }
        assertFalse(ReplyDroppingServerCnxnFactory.isInstalled());
    }

    @BeforeEach
    void connect() throws Exception {
        ReplyDroppingServerCnxnFactory.reset();
        watcher = new ConnectionWatcher();
        CountDownLatch connected = watcher.expectSyncConnected();
        zk = new ZooKeeper(server.getConnectString(), SESSION_TIMEOUT_MS, watcher);
        assertTrue(connected.await(WAIT_SECONDS, TimeUnit.SECONDS), "client did not connect");
    }

    @AfterEach
    void disconnect() throws Exception {
        ReplyDroppingServerCnxnFactory.reset();
        if (zk != null) {
            zk.close();
        }
    }

    @Test
    void sequentialEphemeralCreateIsAppliedButItsReplyIsLost() throws Exception {
        zk.create("/q", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        long sessionId = zk.getSessionId();

        ReplyDroppingServerCnxnFactory.dropNextCreateReplies("/q", 1);
        CountDownLatch reconnected = watcher.expectSyncConnected();
        assertThrows(KeeperException.ConnectionLossException.class,
                () -> zk.create("/q/n-", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL));

        assertTrue(reconnected.await(WAIT_SECONDS, TimeUnit.SECONDS), "client did not reconnect");
        assertTrue(watcher.disconnects.get() >= 1, "client never saw Disconnected");
        assertFalse(watcher.expired, "session expired");
        assertEquals(sessionId, zk.getSessionId(), "reconnected with a different session");

        List<String> children = zk.getChildren("/q", false);
        assertEquals(1, children.size(), "children: " + children);
        String child = children.get(0);
        assertTrue(child.startsWith("n-"), child);
        Stat stat = zk.exists("/q/" + child, false);
        assertNotNull(stat);
        assertEquals(sessionId, stat.getEphemeralOwner(), "node is not owned by the client's session");
        assertEquals(1, ReplyDroppingServerCnxnFactory.droppedCount());
        assertEquals(List.of("/q/" + child), ReplyDroppingServerCnxnFactory.droppedPaths());
        assertEquals(0, ReplyDroppingServerCnxnFactory.remainingDrops());

        // Disarmed now: the next create gets its reply normally, on the same connection.
        int disconnectsBefore = watcher.disconnects.get();
        String second = zk.create("/q/n-", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL);
        assertTrue(second.startsWith("/q/n-"), second);
        assertEquals(2, zk.getChildren("/q", false).size());
        assertEquals(1, ReplyDroppingServerCnxnFactory.droppedCount());
        assertEquals(disconnectsBefore, watcher.disconnects.get());
        assertEquals(sessionId, zk.getSessionId());
    }

    @Test
    void onlyMatchingSuccessfulCreatesAreDroppedWhateverTheCreateFlavour() throws Exception {
        zk.create("/r", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        zk.create("/r/existing", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        long sessionId = zk.getSessionId();
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies("/r/", 2);

        // Path not matching the prefix: normal reply.
        assertEquals("/s", zk.create("/s", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        // Matching path, but the create fails: normal error reply, arming not consumed.
        assertThrows(KeeperException.NodeExistsException.class,
                () -> zk.create("/r/existing", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        assertEquals(0, ReplyDroppingServerCnxnFactory.droppedCount());
        assertEquals(2, ReplyDroppingServerCnxnFactory.remainingDrops());

        // createContainer (replied with a Create2Response).
        CountDownLatch reconnected = watcher.expectSyncConnected();
        assertThrows(KeeperException.ConnectionLossException.class,
                () -> zk.create("/r/container", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER));
        assertTrue(reconnected.await(WAIT_SECONDS, TimeUnit.SECONDS), "client did not reconnect");

        // create2: create with a Stat out-parameter, sequential.
        reconnected = watcher.expectSyncConnected();
        Stat ignored = new Stat();
        assertThrows(KeeperException.ConnectionLossException.class,
                () -> zk.create("/r/p-", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL, ignored));
        assertTrue(reconnected.await(WAIT_SECONDS, TimeUnit.SECONDS), "client did not reconnect");

        assertFalse(watcher.expired, "session expired");
        assertEquals(sessionId, zk.getSessionId());
        assertEquals(2, ReplyDroppingServerCnxnFactory.droppedCount());
        assertEquals(0, ReplyDroppingServerCnxnFactory.remainingDrops());
        List<String> dropped = ReplyDroppingServerCnxnFactory.droppedPaths();
        assertEquals("/r/container", dropped.get(0));
        assertTrue(dropped.get(1).startsWith("/r/p-"), dropped.toString());
        for (String path : dropped) {
            assertNotNull(zk.exists(path, false), "dropped create was not applied: " + path);
        }

        // Exhausted: matching creates are answered normally again.
        assertEquals("/r/after", zk.create("/r/after", DATA, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT));
        assertEquals(2, ReplyDroppingServerCnxnFactory.droppedCount());
    }

    /** Tracks connection state events; the latch from {@link #expectSyncConnected()} opens on the next SyncConnected. */
    private static final class ConnectionWatcher implements Watcher {
        final AtomicInteger disconnects = new AtomicInteger();
        volatile boolean expired;
        private volatile CountDownLatch nextSyncConnected = new CountDownLatch(1);

        CountDownLatch expectSyncConnected() {
            CountDownLatch latch = new CountDownLatch(1);
            nextSyncConnected = latch;
            return latch;
        }

        @Override
        public void process(WatchedEvent event) {
            if (event.getType() != Event.EventType.None) {
                return;
            }
            switch (event.getState()) {
                case SyncConnected -> nextSyncConnected.countDown();
                case Disconnected -> disconnects.incrementAndGet();
                case Expired -> expired = true;
                default -> { }
            }
        }
    }
}
