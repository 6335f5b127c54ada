package io.github.zkrecipes.internal.queue;

import static io.github.zkrecipes.internal.queue.QueueTesting.DIR;
import static io.github.zkrecipes.internal.queue.QueueTesting.awaitQueued;
import static io.github.zkrecipes.internal.queue.QueueTesting.join;
import static io.github.zkrecipes.internal.queue.QueueTesting.joinNow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ReplyDroppingServerCnxnFactory;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** "Create applied, reply lost": the server applies the create and drops the connection before replying. */
@ZkTest(dropCreateReplies = true)
class ReplyLostCreateTest {

    @AfterEach
    void disarm() {
        ReplyDroppingServerCnxnFactory.reset();
    }

    @Test
    void aCreateWhoseReplyIsLostIsAdoptedNotDuplicated(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        QueueEntry warm = joinNow(session); // the directory exists, so the next create is the only one
        warm.queue().remove(warm);
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(DIR + "/"), 1);
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();

        QueueEntry entry = joinNow(session);

        assertEquals(1, ReplyDroppingServerCnxnFactory.droppedCount(), "the fault bit");
        assertEquals(1, QueueMetrics.snapshot().minus(before).recoveries());
        assertEquals(1, QueueMetrics.snapshot().minus(before).creates(), "no second create");
        assertEquals(List.of(entry.node().name()), zk.children(DIR));
        Stat stat = zk.stat(entry.path());
        assertEquals(session.sessionId(), stat.getEphemeralOwner());
        assertEquals(stat.getCzxid(), entry.czxid());
        entry.queue().remove(entry);

        QueueEntry next = join(session, Duration.ofSeconds(5)).orElseThrow(); // no self-deadlock
        next.queue().remove(next);
        assertEquals(List.of(), zk.children(DIR));
    }

    @Test
    void aWaiterWhoseCreateReplyIsLostKeepsItsPlaceAndIsGrantedOnce(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(DIR + "/"), 1);
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        Await.until("the reply to be dropped", () -> ReplyDroppingServerCnxnFactory.droppedCount() == 1);
        Await.until("the waiter to watch the holder", () -> zk.serverWatchCount() == 1);
        assertEquals(2, zk.children(DIR).size(), "one node per participant");
        assertFalse(waiter.isDone());
        holder.queue().remove(holder);
        QueueEntry granted = waiter.result();
        assertEquals(List.of(granted.node().name()), zk.children(DIR));
        granted.queue().remove(granted);
    }

    @Test
    void aTimedJoinWhoseCreateReplyIsLostLeavesNoOrphan(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(DIR + "/"), 1);
        // The deadline passes while the client is still reconnecting (about 1-2 s).
        Optional<QueueEntry> result = join(s, Duration.ofMillis(200));
        assertTrue(result.isEmpty());
        assertEquals(1, ReplyDroppingServerCnxnFactory.droppedCount());
        awaitQueued(zk, 1); // the background cleanup found the orphan by its id and deleted it
        assertEquals(List.of(holder.node().name()), zk.children(DIR));
        holder.queue().remove(holder);
    }

    @Test
    void aNodeOfAnExpiredSessionIsNeverAdopted(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        long oldSession = s.sessionId();
        QueueEntry warm = joinNow(s);
        warm.queue().remove(warm);
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(DIR + "/"), 1);
        Worker<QueueEntry> joiner = Worker.start("joiner", () -> joinNow(s));
        Await.until("the reply to be dropped", () -> ReplyDroppingServerCnxnFactory.droppedCount() == 1);
        zk.expire(s);
        try {
            QueueEntry entry = joiner.result();
            // Granted: then in the new session, with its own node, and the old one is gone.
            assertTrue(entry.sessionId() != oldSession);
            assertEquals(entry.sessionId(), zk.stat(entry.path()).getEphemeralOwner());
            assertEquals(List.of(entry.node().name()), zk.children(DIR));
            entry.queue().remove(entry);
        } catch (CompletionException | SessionLostException e) {
            // Or the node was adopted before the expiry and the join then failed with the session.
            assertInstanceOf(SessionLostException.class, e instanceof CompletionException ? e.getCause() : e);
        }
        awaitQueued(zk, 0);
    }

    @Test
    void aForgedCopyOfOurProtectedIdIsNeverAdoptedInsteadOfOurNode(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        ZkSession forger = zk.session();
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(DIR + "/"), 1);
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        Await.until("the reply to be dropped", () -> ReplyDroppingServerCnxnFactory.droppedCount() == 1);
        // While the waiter reconnects, another client copies its protected id (anyone who may list
        // the directory can read it) into nodes of its own, ahead of and behind the real one.
        String victim = zk.children(DIR).stream().filter(n -> !n.equals(holder.node().name())).findFirst().orElseThrow();
        String id = QueueNode.parse(victim).id();
        for (int seq : new int[] {-9, -8, 1000, 1001}) {
            forger.zookeeper().create(zk.serverPath(DIR + "/lock_" + id + "_" + String.format(java.util.Locale.ROOT, "%010d", seq)),
                    new byte[0], org.apache.zookeeper.ZooDefs.Ids.OPEN_ACL_UNSAFE, org.apache.zookeeper.CreateMode.EPHEMERAL);
        }
        Await.until("the waiter to watch a node ahead", () -> zk.serverWatchCount() >= 1);
        assertFalse(waiter.isDone());
        forger.close(); // the forged nodes go with the forger's session
        holder.queue().remove(holder);
        QueueEntry granted = waiter.result();
        assertEquals(victim, granted.node().name(), "the node our session created was adopted");
        assertEquals(List.of(victim), zk.children(DIR), "no second node of ours");
        granted.queue().remove(granted);
    }
}
