package io.github.zkrecipes.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@ZkTest
class ElectedTaskTest {
    static final String PATH = "/elections/compactor";

    /** What one run of a task saw. */
    record Run(long epoch, boolean interrupted, boolean cancelled) {}

    /** A task that leads until cancelled, and records how it ended. */
    static LeaderTask holdUntilCancelled(List<Run> runs, List<Long> started) {
        return ctx -> {
            started.add(ctx.epoch());
            boolean interrupted = false;
            try {
                new CountDownLatch(1).await(); // only an interrupt ends this
            } catch (InterruptedException e) {
                interrupted = true;
            }
            runs.add(new Run(ctx.epoch(), interrupted, ctx.isCancelled()));
        };
    }

    @Test
    void theTaskIsInterruptedAndCancelledWhenLeadershipIsLostAndAnotherTaskLeads(ZkTestContext zk) throws Exception {
        ZkSession sa = zk.session();
        ZkSession sb = zk.session();
        List<Run> runsA = new CopyOnWriteArrayList<>();
        List<Long> startedA = new CopyOnWriteArrayList<>();
        List<Run> runsB = new CopyOnWriteArrayList<>();
        List<Long> startedB = new CopyOnWriteArrayList<>();
        try (ElectedTask a = new ZkElection(sa, PATH).task(holdUntilCancelled(runsA, startedA)).start()) {
            Await.until("a's task to run", () -> startedA.size() == 1);
            try (ElectedTask b = new ZkElection(sb, PATH).task(holdUntilCancelled(runsB, startedB)).start()) {
                Await.until("b to queue", () -> count(zk) == 2);

                zk.expire(sa);

                Await.until("a's task to end", () -> runsA.size() == 1);
                assertTrue(runsA.get(0).interrupted() && runsA.get(0).cancelled(), runsA.toString());
                Await.until("b's task to run", () -> startedB.size() == 1);
                assertTrue(startedB.get(0) > startedA.get(0));
                assertFalse(a.isLeader());
                Await.until("a to re-join", () -> count(zk) == 2);
                assertEquals(ElectionState.CONTENDING, a.state());
            }
            Await.until("a's task to run again", () -> startedA.size() == 2);
            assertTrue(runsB.get(0).interrupted(), "closing cancels the task");
            assertTrue(startedA.get(1) > startedB.get(0));
        }
        zk.awaitNoChildren(PATH); // the release's delete is pipelined: seen one commit later
    }

    @Test
    void aTaskThatThrowsEndsItsTermButNotTheElection(ZkTestContext zk) throws Exception {
        AtomicInteger calls = new AtomicInteger();
        List<Long> epochs = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        try (ElectedTask t = new ZkElection(zk.session(), PATH).task(ctx -> {
            epochs.add(ctx.epoch());
            int call = calls.incrementAndGet();
            if (call == 1) {
                throw new IllegalStateException("boom");
            }
            if (call == 2) {
                release.await();
            } else {
                ctx.awaitCancellation();
            }
        }).start()) {
            Await.until("the task to run again after throwing", () -> calls.get() == 2);
            assertInstanceOf(IllegalStateException.class, t.lastTaskFailure().orElseThrow());
            assertEquals(ElectionState.LEADING, t.state());
            assertTrue(t.isLeader());
            assertTrue(epochs.get(1) > epochs.get(0), "a new term after the failed one");
            assertEquals(1, zk.children(PATH).size());
            release.countDown();
            Await.until("a third term", () -> calls.get() == 3);
        }
        zk.awaitNoChildren(PATH); // the release's delete is pipelined: seen one commit later
    }

    @Test
    void withoutRequeueTheElectedTaskClosesWhenItsTaskReturns(ZkTestContext zk) throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        ElectedTask t = new ZkElection(zk.session(), PATH).task(ctx -> ran.countDown()).requeue(false).start();
        Await.latch("the task to run", ran);
        Await.until("the elected task to close", () -> t.state() == ElectionState.CLOSED);
        assertFalse(t.isLeader());
        t.close();
        zk.awaitNoChildren(PATH); // the release's delete is pipelined: seen one commit later
    }

    @Test
    void aSuspendedConnectionCancelsTheTaskByDefaultAndNotWhenConfiguredOtherwise(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        List<Run> runs = new CopyOnWriteArrayList<>();
        List<Long> started = new CopyOnWriteArrayList<>();
        try (ElectedTask t = new ZkElection(s, PATH).task(holdUntilCancelled(runs, started)).start()) {
            Await.until("the task to run", () -> started.size() == 1);
            s.zookeeper().getTestable().closeSocket();
            Await.until("the task to be cancelled", () -> runs.size() == 1);
            assertTrue(runs.get(0).interrupted());
            Await.until("a new term after the suspension", () -> started.size() == 2);
            assertTrue(started.get(1) > started.get(0));
        }

        ZkSession s2 = zk.session();
        List<Run> runs2 = new CopyOnWriteArrayList<>();
        List<Long> started2 = new CopyOnWriteArrayList<>();
        List<ElectionEvent> events = new CopyOnWriteArrayList<>();
        try (ElectedTask t = new ZkElection(s2, PATH).task(holdUntilCancelled(runs2, started2)).cancelOnSuspend(false).build()) {
            t.addListener(events::add);
            t.start();
            Await.until("the task to run", () -> started2.size() == 1);
            s2.zookeeper().getTestable().closeSocket();
            Await.until("the term to turn uncertain and back", () -> events.stream()
                    .anyMatch(e -> e.previous() == ElectionState.UNCERTAIN && e.state() == ElectionState.LEADING));
            assertEquals(List.of(), runs2, "the task kept running");
            assertEquals(1, started2.size());
        }
        assertEquals(1, runs2.size());
    }

    static int count(ZkTestContext zk) {
        try {
            return zk.children(PATH).size();
        } catch (Exception e) {
            return -1;
        }
    }

    static String data(ZkSession s) {
        try {
            return new String(s.curator().getData().forPath("/data"));
        } catch (Exception e) {
            return null;
        }
    }

    @Test
    void aCancelledTasksGuardedWriteIsRefused(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        s.curator().create().forPath("/data", "v0".getBytes());
        List<LeaderContext> contexts = new CopyOnWriteArrayList<>();
        ElectedTask t = new ZkElection(s, PATH).task(ctx -> {
            contexts.add(ctx);
            ctx.guarded(s.curator().transactionOp().setData().forPath("/data", "v1".getBytes()));
            ctx.awaitCancellation();
        }).start();
        Await.until("the task to run", () -> contexts.size() == 1);
        Await.until("the write", () -> "v1".equals(data(s)));
        t.close();
        LeaderContext ctx = contexts.get(0);
        assertTrue(ctx.isCancelled());
        assertThrows(OwnershipLostException.class,
                () -> ctx.guarded(s.curator().transactionOp().setData().forPath("/data", "stale".getBytes())));
        assertEquals("v1", new String(s.curator().getData().forPath("/data")));
        s.curator().delete().forPath("/data");
    }
}
