package io.github.zkrecipes.internal.queue;

import static io.github.zkrecipes.internal.queue.QueueTesting.DIR;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.ReplyDroppingServerCnxnFactory;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException.Code;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A queue node created in one transaction with companion nodes (used by group joins for the id claim). */
@ZkTest(dropCreateReplies = true)
class CompanionCreateTest {
    private static final byte[] CLAIM = "claim".getBytes(StandardCharsets.UTF_8);

    @AfterEach
    void disarm() {
        ReplyDroppingServerCnxnFactory.reset();
    }

    private static Op claim(ZkTestContext zk, String name) {
        return Op.create(zk.serverPath(DIR + "/" + name), CLAIM, ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
    }

    @Test
    void theNodeAndItsCompanionAreMadeInOneCommitWithTheNodesOwnFence(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        SequentialQueue queue = new SequentialQueue(session, DIR);
        QueueEntry warm = queue.enter(NodeKind.MEMBER, 1, new byte[0], Deadline.none()); // the directory stays
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();

        QueueEntry entry = queue.enter(NodeKind.MEMBER, 1, new byte[0], List.of(claim(zk, "x")), Deadline.none());

        Stat node = zk.stat(entry.path());
        Stat companion = zk.stat(DIR + "/x");
        assertEquals(node.getCzxid(), entry.czxid(), "the fence is the node's own czxid");
        assertEquals(node.getCzxid(), companion.getCzxid(), "one transaction");
        assertEquals(session.sessionId(), node.getEphemeralOwner());
        assertEquals(1, QueueMetrics.snapshot().minus(before).creates());
        queue.remove(entry);
        assertEquals(List.of(warm.node().name(), "x").stream().sorted().toList(), zk.children(DIR).stream().sorted().toList(),
                "removing the node leaves the companion to its owner");
    }

    @Test
    void aRefusedCompanionMakesNothingAndSaysWhichNodeAndWhy(ZkTestContext zk) throws Exception {
        SequentialQueue queue = new SequentialQueue(zk.session(), DIR);
        QueueEntry holder = queue.enter(NodeKind.MEMBER, 1, new byte[0], List.of(claim(zk, "x")), Deadline.none());
        List<String> before = zk.children(DIR);

        SequentialQueue other = new SequentialQueue(zk.session(), DIR);
        CompanionRefusedException e = assertThrows(CompanionRefusedException.class,
                () -> other.enter(NodeKind.MEMBER, 1, new byte[0], List.of(claim(zk, "x")), Deadline.none()));

        assertEquals(Code.NODEEXISTS, e.code());
        assertEquals(zk.serverPath(DIR + "/x"), e.path());
        assertEquals(before, zk.children(DIR), "no node of the refused transaction");
        queue.remove(holder);
    }

    @Test
    void aTransactionWhoseReplyIsLostIsAdoptedWithItsCompanionNotRepeated(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        SequentialQueue queue = new SequentialQueue(session, DIR);
        QueueEntry warm = queue.enter(NodeKind.MEMBER, 1, new byte[0], Deadline.none()); // the directory stays
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(DIR + "/"), 1);
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();

        QueueEntry entry = queue.enter(NodeKind.MEMBER, 1, new byte[0], List.of(claim(zk, "x")), Deadline.none());

        assertEquals(1, ReplyDroppingServerCnxnFactory.droppedCount(), "the fault bit");
        assertEquals(1, QueueMetrics.snapshot().minus(before).recoveries());
        assertEquals(1, QueueMetrics.snapshot().minus(before).creates(), "no second transaction");
        assertEquals(List.of(warm.node().name(), entry.node().name(), "x").stream().sorted().toList(),
                zk.children(DIR).stream().sorted().toList());
        assertEquals(zk.stat(entry.path()).getCzxid(), entry.czxid());
        assertArrayEquals(CLAIM, zk.admin().getData(zk.serverPath(DIR + "/x"), false, null));
        queue.remove(entry);
    }

    @Test
    void aReleaseDeletesTheNodeWithItsCompanionsInOneTransaction(ZkTestContext zk) throws Exception {
        SequentialQueue queue = new SequentialQueue(zk.session(), DIR);
        QueueEntry warm = queue.enter(NodeKind.MEMBER, 1, new byte[0], Deadline.none()); // the directory stays
        QueueEntry entry = queue.enter(NodeKind.MEMBER, 1, new byte[0], List.of(claim(zk, "x")), Deadline.none());
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();

        queue.release(entry, List.of(zk.serverPath(DIR + "/x")));

        assertEquals(List.of(warm.node().name()), zk.children(DIR), "confirmed: gone when release returns");
        assertEquals(1, QueueMetrics.snapshot().minus(before).deletes(), "one transaction");
        queue.remove(warm);
    }

    @Test
    void aCompanionAlreadyGoneDoesNotKeepTheNode(ZkTestContext zk) throws Exception {
        SequentialQueue queue = new SequentialQueue(zk.session(), DIR);
        QueueEntry warm = queue.enter(NodeKind.MEMBER, 1, new byte[0], Deadline.none());
        QueueEntry entry = queue.enter(NodeKind.MEMBER, 1, new byte[0], List.of(claim(zk, "x")), Deadline.none());
        zk.admin().delete(zk.serverPath(DIR + "/x"), -1);

        queue.release(entry, List.of(zk.serverPath(DIR + "/x")));

        assertEquals(List.of(warm.node().name()), zk.children(DIR));
        queue.remove(warm);
    }
}
