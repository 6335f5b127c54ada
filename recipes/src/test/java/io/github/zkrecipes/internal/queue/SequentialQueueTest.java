package io.github.zkrecipes.internal.queue;

import static io.github.zkrecipes.internal.queue.QueueTesting.DIR;
import static io.github.zkrecipes.internal.queue.QueueTesting.awaitQueued;
import static io.github.zkrecipes.internal.queue.QueueTesting.join;
import static io.github.zkrecipes.internal.queue.QueueTesting.joinNow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.TestTimeouts;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;

@ZkTest
class SequentialQueueTest {

    @Test
    void uncontendedJoinTakesOnePipelinedRoundTripAndCarriesItsCzxidAsFence(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session(b -> b.participantId("p-1"));
        QueueEntry warmUp = joinNow(session); // creates the directory, which costs extra round trips
        warmUp.queue().remove(warmUp);

        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        QueueEntry entry = joinNow(session);
        QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
        assertEquals(1, cost.creates());
        assertEquals(1, cost.listings(), "the listing is pipelined with the create");
        assertEquals(0, cost.watches());

        Stat stat = zk.stat(entry.path());
        assertEquals(stat.getCzxid(), entry.czxid());
        assertEquals(session.sessionId(), stat.getEphemeralOwner());
        Participant p = Participant.decode(zk.admin().getData(zk.serverPath(entry.path()), false, null));
        assertEquals("p-1", p.id());
        assertEquals(ProcessHandle.current().pid(), p.pid());
        assertEquals(Thread.currentThread().getName(), p.thread());

        entry.queue().remove(entry);
        assertEquals(List.of(), zk.children(DIR));
    }

    @Test
    void waitersAreGrantedInArrivalOrder(ZkTestContext zk) throws Exception {
        ZkSession holderSession = zk.session();
        QueueEntry holder = joinNow(holderSession);
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Worker<QueueEntry>> waiters = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            int n = i;
            ZkSession s = zk.session();
            waiters.add(Worker.start("waiter-" + i, () -> {
                QueueEntry e = joinNow(s);
                order.add(n);
                e.queue().remove(e);
                return e;
            }));
            awaitQueued(zk, i + 2); // each arrives after the previous is visibly queued
        }
        holder.queue().remove(holder);
        for (Worker<QueueEntry> w : waiters) {
            w.result();
        }
        assertEquals(List.of(0, 1, 2, 3, 4), order);
    }

    @Test
    void eachReleaseWakesExactlyOneWaiterAndTheHandoverNeedsAtMostOneRead(ZkTestContext zk) throws Exception {
        int waiters = 20;
        QueueEntry holder = joinNow(zk.session());
        List<Worker<QueueEntry>> workers = new ArrayList<>();
        for (int i = 0; i < waiters; i++) {
            ZkSession s = zk.session();
            workers.add(Worker.start("waiter-" + i, () -> joinNow(s)));
        }
        awaitQueued(zk, waiters + 1);
        Await.until("every waiter to have set its watch", () -> zk.serverWatchCount() == waiters);

        QueueEntry current = holder;
        List<Long> fences = new ArrayList<>();
        for (int released = 0; released < waiters; released++) {
            QueueMetrics.Snapshot before = QueueMetrics.snapshot();
            current.queue().remove(current);
            Await.until("one waiter to be granted", () -> workers.stream().filter(Worker::isDone).count() == fences.size() + 1);
            Worker<QueueEntry> granted = workers.stream().filter(w -> w.isDone() && !fences.contains(resultOf(w).czxid()))
                    .findFirst().orElseThrow();
            current = granted.result();
            fences.add(current.czxid());
            QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
            assertEquals(1, cost.wakeups(), "wakeups for release " + released);
            // The first waiter saw the holder at the head: granted on its own. The others' listings
            // predate the grants ahead of them: one listing each (a read), and no probing of
            // nodes that are gone (watches set).
            assertEquals(released == 0 ? 0 : 1, cost.listings(), "listings for release " + released);
            assertEquals(0, cost.watches(), "watches for release " + released);
        }
        current.queue().remove(current);
        for (int i = 1; i < fences.size(); i++) {
            assertTrue(fences.get(i) > fences.get(i - 1), "fences grow: " + fences);
        }
    }

    private static QueueEntry resultOf(Worker<QueueEntry> w) {
        return w.future().join();
    }

    @Test
    void aTimedJoinThatExpiresReturnsEmptyAtItsDeadlineAndLeavesNoNodeOrWatch(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession waiterSession = zk.session();
        Duration timeout = Duration.ofMillis(300);
        long start = System.nanoTime();
        Optional<QueueEntry> result = join(waiterSession, timeout);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(result.isEmpty());
        assertTrue(tookMs >= 300, "returned before the deadline: " + tookMs + " ms");
        assertEquals(List.of(holder.node().name()), zk.children(DIR));
        Await.until("the abandoned watch to be removed", () -> zk.serverWatchCount() == 0);
        holder.queue().remove(holder);
    }

    @Test
    void aZeroTimeoutStillAcquiresAFreeQueue(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        QueueEntry e = join(session, Duration.ZERO).orElseThrow();
        assertTrue(join(zk.session(), Duration.ZERO).isEmpty());
        assertEquals(List.of(e.node().name()), zk.children(DIR));
        e.queue().remove(e);
    }

    @Test
    void anInterruptedWaiterThrowsAndRemovesItsNode(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        awaitQueued(zk, 2);
        waiter.interrupt();
        assertInstanceOf(InterruptedException.class, waiter.failure());
        awaitQueued(zk, 1);
        assertEquals(List.of(holder.node().name()), zk.children(DIR));
        Await.until("the interrupted waiter's watch to be removed", () -> zk.serverWatchCount() == 0);
        holder.queue().remove(holder);
    }

    @Test
    void waiterWhosePredecessorAbandonsStillWaitsForTheHolder(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s1 = zk.session();
        Worker<Optional<QueueEntry>> abandoning = Worker.start("abandoning", () -> join(s1, Duration.ofMillis(700)));
        awaitQueued(zk, 2);
        ZkSession s2 = zk.session();
        Worker<QueueEntry> patient = Worker.start("patient", () -> joinNow(s2));
        awaitQueued(zk, 3);
        assertTrue(abandoning.result().isEmpty());
        awaitQueued(zk, 2); // positive witness: the patient waiter is queued right behind the holder
        Await.stillFalse("the patient waiter to be granted while the holder holds", patient::isDone,
                Duration.ofMillis(300));
        holder.queue().remove(holder);
        QueueEntry granted = patient.result();
        assertTrue(granted.czxid() > holder.czxid());
        granted.queue().remove(granted);
    }

    @Test
    void strayWatchEventsMakeAWaiterLookAgainButGrantNothing(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        awaitQueued(zk, 2);
        Await.until("the waiter to watch the holder", () -> zk.serverWatchCount() == 1);
        for (int i = 0; i < 5; i++) {
            QueueMetrics.Snapshot before = QueueMetrics.snapshot();
            // A data change on the watched node fires the waiter's watch without a release.
            zk.admin().setData(zk.serverPath(holder.path()), ("stray " + i).getBytes(), -1);
            Await.until("the stray event to be handled and the watch re-armed",
                    () -> QueueMetrics.snapshot().minus(before).watches() == 1 && zk.serverWatchCount() == 1);
            assertEquals(1, QueueMetrics.snapshot().minus(before).wakeups());
            assertFalse(waiter.isDone(), "a stray event granted the waiter");
        }
        holder.queue().remove(holder);
        QueueEntry granted = waiter.result();
        granted.queue().remove(granted);
    }

    @Test
    void aReconnectionMakesWaitersLookAgainButGrantsNothing(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        awaitQueued(zk, 2);
        Await.until("the waiter to watch the holder", () -> zk.serverWatchCount() == 1);
        QueueMetrics.Snapshot before = QueueMetrics.snapshot();
        zk.server().stop(0);
        ZkTestContext.awaitState(s, io.github.zkrecipes.SessionState.SUSPENDED);
        zk.server().restart(0);
        ZkTestContext.awaitState(s, io.github.zkrecipes.SessionState.RECONNECTED);
        Await.until("the waiter to list again after reconnecting", () -> QueueMetrics.snapshot().minus(before).listings() >= 1);
        Await.until("the waiter to watch the holder again", () -> zk.serverWatchCount() == 1);
        assertFalse(waiter.isDone());
        holder.queue().remove(holder);
        QueueEntry granted = waiter.result();
        granted.queue().remove(granted);
    }

    @Test
    void foreignAndMalformedChildrenAreIgnored(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        session.curator().create().creatingParentContainersIfNeeded().forPath(DIR + "/junk");
        for (String name : List.of("lock_xyz_0000000001", "lock_0123456789abcdef0123456789abcdef_abc", "zzz_1")) {
            zk.admin().create(zk.serverPath(DIR + "/" + name), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        }
        QueueEntry e = join(session, Duration.ofSeconds(5)).orElseThrow();
        assertEquals(List.of(e.node()), e.queue().list());
        e.queue().remove(e);
        for (String child : zk.children(DIR)) {
            zk.admin().delete(zk.serverPath(DIR + "/" + child), -1);
        }
    }

    @Test
    void craftedSequencesAroundTheWrapAreListedInSerialOrder(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        session.curator().create().creatingParentContainersIfNeeded().forPath(DIR + "/keep");
        List<String> arrival = List.of(QueueNodeTest.name(2147483646), QueueNodeTest.name(2147483647),
                QueueNodeTest.name(-2147483648), QueueNodeTest.name(-2147483647));
        for (String name : List.of(arrival.get(2), arrival.get(0), arrival.get(3), arrival.get(1))) {
            zk.admin().create(zk.serverPath(DIR + "/" + name), new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
        }
        List<QueueNode> listed = new SequentialQueue(session, DIR).list();
        assertEquals(arrival, listed.stream().map(QueueNode::name).toList());
        for (String child : zk.children(DIR)) {
            zk.admin().delete(zk.serverPath(DIR + "/" + child), -1);
        }
    }

    @Test
    void fencesGrowAcrossHoldersAndAcrossRecreationOfTheDirectory(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        List<Long> fences = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            QueueEntry e = joinNow(session);
            fences.add(e.czxid());
            e.queue().remove(e);
        }
        int lastSequence = Integer.MAX_VALUE;
        try {
            zk.admin().delete(zk.serverPath(DIR), -1); // the empty container goes; sequence numbers restart
        } catch (org.apache.zookeeper.KeeperException.NoNodeException reaped) {
            // the server's container reaper was first: gone all the same
        }
        QueueEntry again = joinNow(session);
        assertEquals(0, again.node().sequence(), "a new directory restarts sequence numbers");
        assertTrue(again.czxid() > fences.get(fences.size() - 1), "czxid keeps growing");
        fences.add(again.czxid());
        again.queue().remove(again);
        for (int i = 1; i < fences.size(); i++) {
            assertTrue(fences.get(i) > fences.get(i - 1), fences.toString());
        }
        assertTrue(lastSequence > 0);
    }

    @Test
    void sessionExpiryWhileWaitingFailsTheWaiterAndLeavesNothing(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        awaitQueued(zk, 2);
        zk.expire(s);
        assertInstanceOf(SessionLostException.class, waiter.failure());
        assertEquals(List.of(holder.node().name()), zk.children(DIR));
        holder.queue().remove(holder);
    }

    @Test
    void closingTheSessionUnderABlockedWaiterFailsItPromptly(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        Worker<QueueEntry> waiter = Worker.start("waiter", () -> joinNow(s));
        awaitQueued(zk, 2);
        s.close();
        Throwable failure = waiter.failure();
        if (!(failure instanceof SessionLostException)) {
            throw new AssertionError("expected SessionLostException", failure);
        }
        SessionLostException e = (SessionLostException) failure;
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertEquals(List.of(holder.node().name()), zk.children(DIR));
        holder.queue().remove(holder);
    }

    @Test
    void invalidArgumentsAreRejectedNamingTheValueAndCreateNothing(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SequentialQueue(session, "q"));
        assertTrue(e.getMessage().contains("'q'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new SequentialQueue(session, "/a//b"));
        assertTrue(e.getMessage().contains("'/a//b'"), e.getMessage());
        SequentialQueue q = new SequentialQueue(session, DIR);
        e = assertThrows(IllegalArgumentException.class,
                () -> q.enter(NodeKind.LOCK, 1, new byte[SequentialQueue.MAX_DATA_BYTES + 1], Deadline.none()));
        assertTrue(e.getMessage().contains("1000001 bytes"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> q.enter(NodeKind.LEASE, 0, null, Deadline.none()));
        assertTrue(e.getMessage().contains("was 0"), e.getMessage());
        assertEquals(null, zk.stat(DIR));
    }

    @Test
    void aDeadlineShorterThanTheServersAnswerStillLeavesNothingBehind(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(zk.session());
        ZkSession s = zk.session();
        for (int i = 0; i < 20; i++) {
            assertTrue(join(s, Duration.ofNanos(1)).isEmpty());
        }
        Await.until("only the holder to remain", () -> {
            try {
                return zk.children(DIR).size() == 1;
            } catch (Exception ex) {
                return false;
            }
        }, TestTimeouts.scaled(Duration.ofSeconds(10)));
        holder.queue().remove(holder);
    }
}
