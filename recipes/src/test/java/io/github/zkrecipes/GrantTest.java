package io.github.zkrecipes;

import static io.github.zkrecipes.internal.queue.QueueTestAccess.joinNow;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.TestGrant;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.zookeeper.KeeperException;
import org.junit.jupiter.api.Test;

@ZkTest
class GrantTest {

    @Test
    void aGrantIsHeldUntilClosedAndCloseIsIdempotent(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        TestGrant grant = new TestGrant(joinNow(session));
        assertEquals(GrantState.HELD, grant.state());
        assertEquals(zk.stat(grant.path()).getCzxid(), grant.fence());
        assertEquals(session.sessionId(), grant.sessionId());
        grant.ensureHeld();
        List<GrantState> seen = new CopyOnWriteArrayList<>();
        grant.onStateChange(seen::add);
        grant.close();
        grant.close();
        assertEquals(GrantState.RELEASED, grant.state());
        assertEquals(List.of(GrantState.RELEASED), seen);
        zk.awaitNoChildren("/q");
        assertFalse(grant.whenLost().isDone());
        assertThrows(OwnershipLostException.class, grant::ensureHeld);
    }

    @Test
    void guardedWritesApplyWhileHeldAndReportAFailedOpWithoutApplyingAnything(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        session.curator().create().forPath("/data", "v0".getBytes());
        try (TestGrant grant = new TestGrant(joinNow(session))) {
            List<CuratorTransactionResult> results = grant.guarded(
                    session.curator().transactionOp().setData().forPath("/data", "v1".getBytes()));
            assertEquals(1, results.size());
            assertArrayEquals("v1".getBytes(), session.curator().getData().forPath("/data"));

            CoordinationException e = assertThrows(CoordinationException.class, () -> grant.guarded(
                    session.curator().transactionOp().setData().forPath("/data", "v2".getBytes()),
                    session.curator().transactionOp().setData().withVersion(99).forPath("/data", "v3".getBytes())));
            assertTrue(e.getMessage().contains("#2") && e.getMessage().contains("/data") && e.getMessage().contains("BADVERSION"),
                    e.getMessage());
            assertTrue(e.getCause() instanceof KeeperException);
            assertArrayEquals("v1".getBytes(), session.curator().getData().forPath("/data"), "nothing applied");
            assertEquals(GrantState.HELD, grant.state());
        }
        session.curator().delete().forPath("/data");
    }

    @Test
    void serverSideExpiryMakesTheGrantLostAndItsGuardedWriteFails(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        holder.curator().create().forPath("/data", "v0".getBytes());
        TestGrant grant = new TestGrant(joinNow(holder));
        List<GrantState> seen = new CopyOnWriteArrayList<>();
        grant.onStateChange(seen::add);
        zk.expire(holder);
        Await.result("whenLost", grant.whenLost());
        assertEquals(GrantState.LOST, grant.state());
        assertTrue(seen.contains(GrantState.LOST), seen.toString());
        OwnershipLostException e = assertThrows(OwnershipLostException.class, () -> grant.guarded(
                holder.curator().transactionOp().setData().forPath("/data", "stale".getBytes())));
        assertTrue(e.getMessage().contains(grant.path()), e.getMessage());
        assertArrayEquals("v0".getBytes(), holder.curator().getData().forPath("/data"));

        // Someone else is granted, with a larger fence; the lost grant's close is a harmless no-op.
        TestGrant next = new TestGrant(joinNow(zk.session()));
        assertTrue(next.fence() > grant.fence());
        grant.close();
        assertEquals(GrantState.LOST, grant.state());
        next.close();
        holder.curator().delete().forPath("/data");
    }

    @Test
    void aGuardedWriteByAHolderWhoseNodeWasDeletedFailsAndMarksItLost(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        holder.curator().create().forPath("/data", "v0".getBytes());
        TestGrant grant = new TestGrant(joinNow(holder));
        zk.admin().delete(zk.serverPath(grant.path()), -1); // the node goes behind the holder's back
        assertEquals(GrantState.HELD, grant.state(), "nothing told the holder yet");
        assertThrows(OwnershipLostException.class, () -> grant.guarded(
                holder.curator().transactionOp().setData().forPath("/data", "stale".getBytes())));
        assertEquals(GrantState.LOST, grant.state());
        assertTrue(grant.whenLost().isDone());
        assertArrayEquals("v0".getBytes(), holder.curator().getData().forPath("/data"));
        holder.curator().delete().forPath("/data");
    }

    @Test
    void aSuspendedConnectionMakesTheGrantUncertainUntilAWriteConfirmsIt(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        TestGrant grant = new TestGrant(joinNow(holder));
        List<GrantState> seen = new CopyOnWriteArrayList<>();
        grant.onStateChange(seen::add);
        zk.server().stop(0);
        Await.until("the grant to be uncertain", () -> grant.state() == GrantState.UNCERTAIN);
        assertThrows(OwnershipLostException.class, grant::ensureHeld);
        zk.server().restart(0);
        Await.until("the grant to be held again", () -> grant.state() == GrantState.HELD);
        assertEquals(List.of(GrantState.UNCERTAIN, GrantState.HELD), seen);
        grant.close();
    }

    @Test
    void closingTheSessionReleasesTheGrantAndDeletesItsNode(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        TestGrant grant = new TestGrant(joinNow(holder));
        holder.close();
        assertEquals(GrantState.RELEASED, grant.state());
        zk.awaitNoChildren("/q");
        grant.close();
        assertThrows(OwnershipLostException.class, () -> grant.guarded());
    }

    @Test
    void releaseWhileDisconnectedCompletesInTheBackgroundAfterReconnecting(ZkTestContext zk) throws Exception {
        ZkSession holder = zk.session();
        TestGrant grant = new TestGrant(joinNow(holder));
        zk.server().stop(0);
        ZkTestContext.awaitState(holder, SessionState.SUSPENDED);
        long start = System.nanoTime();
        grant.close();
        assertTrue((System.nanoTime() - start) / 1_000_000 < 1000, "close must not wait for the connection");
        assertEquals(GrantState.RELEASED, grant.state());
        zk.server().restart(0);
        ZkTestContext.awaitState(holder, SessionState.RECONNECTED);
        Await.until("the background delete", () -> {
            try {
                return zk.children("/q").isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        // the lock is usable again at once by the same session
        TestGrant again = new TestGrant(joinNow(holder));
        again.close();
    }
}
