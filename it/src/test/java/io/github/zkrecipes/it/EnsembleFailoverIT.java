package io.github.zkrecipes.it;

import static io.github.zkrecipes.internal.queue.QueueTestAccess.joinNow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.TestGrant;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The shared queue on a 3-server ensemble when servers crash (FAULTS.md rows 10 and 11): the
 * session fails over, the holder keeps its grant (uncertain while disconnected, confirmed by a
 * write after), the waiter keeps its place, and nobody else is granted meanwhile.
 */
@ZkTest(servers = 3, tickTimeMs = 500)
class EnsembleFailoverIT {

    @Test
    void aHolderKeepsItsGrantWhenTheServerItIsConnectedToIsKilled(ZkTestContext zk) throws Exception {
        ZkSession holderSession = zk.session();
        long sessionId = holderSession.sessionId();
        TestGrant holder = new TestGrant(joinNow(holderSession));
        List<GrantState> seen = new CopyOnWriteArrayList<>();
        holder.onStateChange(seen::add);
        ZkSession waiterSession = zk.session();
        Worker<TestGrant> waiter = Worker.start("waiter", () -> new TestGrant(joinNow(waiterSession)));
        Await.until("the waiter to be queued", () -> children(zk) == 2);

        int server = zk.server().serverOf(holderSession.zookeeper());
        assertTrue(server >= 0);
        zk.server().stop(server);
        try {
            Await.until("the holder to fail over and be confirmed", () -> holder.state() == GrantState.HELD
                    && seen.contains(GrantState.UNCERTAIN));
            assertEquals(sessionId, holderSession.sessionId(), "same session after failover");
            assertEquals(List.of(GrantState.UNCERTAIN, GrantState.HELD), seen);
            assertFalse(waiter.isDone(), "nobody else was granted");
            assertEquals(2, childrenOnceReadable(zk));
        } finally {
            zk.server().restart(server);
        }
        holder.close();
        TestGrant next = waiter.result();
        assertTrue(next.fence() > holder.fence());
        next.close();
    }

    @Test
    void killingAndRestartingTheLeaderLosesNoGrantAndGrantsNoSecondHolder(ZkTestContext zk) throws Exception {
        ZkSession holderSession = zk.session();
        long sessionId = holderSession.sessionId();
        TestGrant holder = new TestGrant(joinNow(holderSession));
        ZkSession waiterSession = zk.session();
        Worker<TestGrant> waiter = Worker.start("waiter", () -> new TestGrant(joinNow(waiterSession)));
        Await.until("the waiter to be queued", () -> children(zk) == 2);

        int leader = zk.server().leader();
        assertTrue(leader >= 0, "a leader was elected");
        zk.server().stop(leader);
        Await.until("a new leader", () -> {
            int l = zk.server().leader();
            return l >= 0 && l != leader;
        });
        zk.server().restart(leader);
        Await.until("the holder's session to be usable", () -> holderSession.state().isConnected()
                && holder.state() == GrantState.HELD);
        assertEquals(sessionId, holderSession.sessionId());
        assertTrue(waiterSession.state() != SessionState.LOST);
        assertFalse(waiter.isDone(), "nobody else was granted");
        assertEquals(2, childrenOnceReadable(zk));

        holder.close();
        TestGrant next = waiter.result();
        assertTrue(next.fence() > holder.fence());
        next.close();
    }

    /**
     * The queue's size, read as soon as the test's own client can read: after a leader restart that
     * client may itself be reconnecting, and a failed read is not an answer.
     */
    private static int childrenOnceReadable(ZkTestContext zk) {
        return Await.value("a readable listing of /q", () -> {
            int n = children(zk);
            return n >= 0 ? n : null;
        });
    }

    private static int children(ZkTestContext zk) {
        try {
            return zk.children("/q").size();
        } catch (Exception e) {
            return -1;
        }
    }
}
