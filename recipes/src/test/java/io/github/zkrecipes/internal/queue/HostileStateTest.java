package io.github.zkrecipes.internal.queue;

import static io.github.zkrecipes.internal.queue.QueueTesting.DIR;
import static io.github.zkrecipes.internal.queue.QueueTesting.awaitQueued;
import static io.github.zkrecipes.internal.queue.QueueTesting.join;
import static io.github.zkrecipes.internal.queue.QueueTesting.joinNow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.Participant;
import io.github.zkrecipes.SecureAcls;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.Test;

/**
 * A queue directory holding what nobody should have put there: every case ends in the queue
 * ignoring the thing or reporting it, never in a crash, a spin, a deadlock or a wrong grant.
 */
@ZkTest
class HostileStateTest {

    private static String foreignName(int sequence) {
        return QueueNodeTest.name(sequence); // a valid queue name, with an id nobody of ours holds
    }

    private static void makeDirectory(ZkTestContext zk) throws Exception {
        // The persistent child keeps the container alive until clear(); it is no queue node.
        zk.session().curator().create().creatingParentContainersIfNeeded().forPath(DIR + "/keep");
    }

    private static void clear(ZkTestContext zk) throws Exception {
        for (String child : zk.children(DIR)) {
            zk.admin().delete(zk.serverPath(DIR + "/" + child), -1);
        }
    }

    @Test
    void aPersistentNodeWithAValidNameAheadOfEveryoneIsIgnoredNotWaitedFor(ZkTestContext zk) throws Exception {
        makeDirectory(zk);
        zk.admin().create(zk.serverPath(DIR + "/" + foreignName(-7)), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
                CreateMode.PERSISTENT);
        ZkSession s = zk.session();
        QueueEntry e = join(s, Duration.ofSeconds(5)).orElseThrow(() -> new AssertionError("blocked by a persistent node"));
        // Introspection leaves it out too: it is nobody's node.
        assertEquals(List.of(e.node()), e.queue().describe().stream().map(SequentialQueue.NodeInfo::node).toList());
        // And a second joiner waits for the real holder only.
        ZkSession s2 = zk.session();
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s2));
        awaitQueued(zk, 4);
        Await.until("the waiter to watch the real holder", () -> zk.serverWatchedPaths().contains(DIR + "/" + e.node().name()));
        assertFalse(waiter.isDone());
        e.queue().remove(e);
        QueueEntry next = waiter.result();
        next.queue().remove(next);
        clear(zk);
    }

    @Test
    void anObserverNeverTakesAPersistentNodeForTheHead(ZkTestContext zk) throws Exception {
        makeDirectory(zk);
        zk.admin().create(zk.serverPath(DIR + "/" + foreignName(-7)), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
                CreateMode.PERSISTENT);
        ZkSession s = zk.session();
        SequentialQueue q = new SequentialQueue(s, DIR);
        assertEquals(Optional.empty(), q.awaitHead(null));
        QueueEntry e = joinNow(s);
        assertEquals(e.node(), q.awaitHead(null).orElseThrow().node());
        e.queue().remove(e);
        clear(zk);
    }

    @Test
    void aNodeAheadThatWeMayNotReadIsReportedNamingItAndNothingIsLeft(ZkTestContext zk) throws Exception {
        makeDirectory(zk);
        // Another tenant's ephemeral node in a directory we share but whose nodes we may not read.
        try (ZooKeeper other = SecureQueueTest.raw(zk, "tenant-b", "pw-b")) {
            String name = foreignName(-3);
            other.create(zk.serverPath(DIR + "/" + name), new byte[0],
                    new java.util.ArrayList<>(List.of(new ACL(Perms.ALL, SecureAcls.digest("tenant-b", "pw-b")))),
                    CreateMode.EPHEMERAL);
            ZkSession s = zk.session();
            Worker<Optional<QueueEntry>> joiner = Worker.start("joiner", () -> join(s, Duration.ofSeconds(30)));
            Throwable failure = joiner.failure();
            assertInstanceOf(AccessDeniedException.class, failure);
            assertEquals(DIR + "/" + name, ((AccessDeniedException) failure).path(), failure.getMessage());
            awaitQueued(zk, 2);
            assertEquals(List.of("keep", name), zk.children(DIR));
        }
        clear(zk);
    }

    @Test
    void aNodeWithHugeDataAheadIsWaitedForLikeAnyHolder(ZkTestContext zk) throws Exception {
        makeDirectory(zk);
        ZkSession owner = zk.session();
        String name = foreignName(-2);
        owner.zookeeper().create(zk.serverPath(DIR + "/" + name), new byte[SequentialQueue.MAX_DATA_BYTES],
                ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        ZkSession s = zk.session();
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        awaitQueued(zk, 3);
        Await.until("the waiter to watch the big node", () -> zk.serverWatchedPaths().contains(DIR + "/" + name));
        assertFalse(waiter.isDone());
        // Introspection reads it without choking: the data is not a participant record.
        SequentialQueue.NodeInfo big = new SequentialQueue(s, DIR).describe().get(0);
        assertEquals(null, Participant.decode(big.data()).id());
        owner.zookeeper().delete(zk.serverPath(DIR + "/" + name), -1);
        QueueEntry granted = waiter.result();
        granted.queue().remove(granted);
        clear(zk);
    }

    @Test
    void aNodeOfAnotherSessionClaimingOurIdentityDoesNotMakeItOurs(ZkTestContext zk) throws Exception {
        makeDirectory(zk);
        ZkSession s = zk.session(b -> b.participantId("victim"));
        ZkSession impostor = zk.session();
        String name = foreignName(-1);
        impostor.zookeeper().create(zk.serverPath(DIR + "/" + name), Participant.current(s).encode(),
                ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        // Same participant id, same thread, same data: still someone else's node; we wait behind it.
        assertTrue(join(s, Duration.ofMillis(400)).isEmpty());
        awaitQueued(zk, 2);
        impostor.zookeeper().delete(zk.serverPath(DIR + "/" + name), -1);
        QueueEntry e = join(s, Duration.ofSeconds(5)).orElseThrow();
        e.queue().remove(e);
        clear(zk);
    }

    @Test
    void unparseableNamesOfEveryShapeAreIgnored(ZkTestContext zk) throws Exception {
        makeDirectory(zk);
        String id = "0123456789abcdef0123456789abcdef";
        List<String> junk = List.of("lock", "lock_", "lock__0000000001", "nokind_" + id + "_0000000001",
                "lock.0_" + id + "_0000000001", "lock.-1_" + id + "_0000000001", "lock.x_" + id + "_0000000001",
                "lock_" + id.toUpperCase() + "_0000000001", "lock_" + id + "_99999999999", "lock_" + id + "_",
                "lock_" + id + "_00000000x1", "lease.2147483648_" + id + "_0000000001", "\u00e9_" + id + "_1");
        for (String name : junk) {
            zk.admin().create(zk.serverPath(DIR + "/" + name), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE,
                    CreateMode.EPHEMERAL);
        }
        QueueEntry e = join(zk.session(), Duration.ofSeconds(5)).orElseThrow();
        assertEquals(List.of(e.node()), e.queue().list());
        e.queue().remove(e);
        clear(zk);
    }
}
