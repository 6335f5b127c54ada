package io.github.zkrecipes.election;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.OwnershipLostException;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.internal.queue.QueueMetrics;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@ZkTest
class CandidacyTest {
    static final String PATH = "/elections/scheduler";

    /**
     * resign() does not wait, but the term is over when it returns: it is RELEASED, it is not the
     * candidacy's current term, and awaitLeadership() waits for the next term (a new node, a
     * larger epoch) instead of returning the one just resigned. The old node is deleted.
     */
    @Test
    void afterResignReturnsTheTermIsOverAndAwaitLeadershipWaitsForTheNextOne(ZkTestContext zk) throws Exception {
        try (Candidacy c = new ZkElection(zk.session(), PATH).join()) {
            for (int round = 0; round < 20; round++) {
                Leadership first = c.awaitLeadership();
                String firstNode = first.path();
                c.resign();
                // The term just resigned is over. (The only candidate may already lead again, in a new term.)
                assertTrue(c.leadership().map(l -> l != first).orElse(true),
                        "the resigned term is still the current one, round " + round + ": " + c);
                assertEquals(GrantState.RELEASED, first.state());
                Leadership next = c.awaitLeadership(Duration.ofSeconds(20)).orElseThrow();
                assertTrue(next != first && !next.path().equals(firstNode), "the resigned term came back, round " + round);
                assertTrue(next.epoch() > first.epoch(), "epochs " + first.epoch() + " then " + next.epoch());
                Await.until("the resigned node to be deleted", () -> {
                    try {
                        return !zk.children(PATH).contains(firstNode.substring(firstNode.lastIndexOf('/') + 1));
                    } catch (Exception e) {
                        return false;
                    }
                });
            }
        }
        zk.awaitNoChildren(PATH);
    }

    @Test
    void exactlyOneLeaderAtATimeUnderChurnAndEpochsIncreaseFromTermToTerm(ZkTestContext zk) throws Exception {
        ZkSession writer = zk.session();
        writer.curator().create().forPath("/data", "0".getBytes());
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger violations = new AtomicInteger();
        List<Long> epochs = Collections.synchronizedList(new ArrayList<>());
        List<Worker<Void>> workers = new ArrayList<>();
        for (int c = 0; c < 5; c++) {
            ZkSession s = zk.session();
            for (int t = 0; t < 2; t++) {
                int id = c * 2 + t;
                workers.add(Worker.start("candidate-" + id, () -> {
                    ZkElection election = new ZkElection(s, PATH);
                    Candidacy me = election.join();
                    try {
                        for (int i = 0; i < 6; i++) {
                            Leadership term = me.awaitLeadership();
                            if (inside.incrementAndGet() != 1) {
                                violations.incrementAndGet();
                            }
                            epochs.add(term.epoch());
                            term.guarded(s.curator().transactionOp().setData().forPath("/data",
                                    Long.toString(term.epoch()).getBytes()));
                            inside.decrementAndGet();
                            if ((i + id) % 3 == 0) {
                                me.close(); // leave, and come back as a new candidacy
                                me = election.join();
                            } else {
                                me.resign();
                                Await.until("the resign to end the term", () -> term.state() == GrantState.RELEASED);
                            }
                        }
                    } finally {
                        me.close();
                    }
                    return null;
                }));
            }
        }
        for (Worker<Void> w : workers) {
            w.result();
        }
        assertEquals(0, violations.get(), "overlapping leaders");
        assertEquals(60, epochs.size());
        for (int i = 1; i < epochs.size(); i++) {
            assertTrue(epochs.get(i) > epochs.get(i - 1), "epoch order broken at " + i + ": " + epochs);
        }
        assertArrayEquals(Long.toString(epochs.get(59)).getBytes(), writer.curator().getData().forPath("/data"));
        zk.awaitNoChildren(PATH); // the release's delete is pipelined: seen one commit later
        writer.curator().delete().forPath("/data");
    }

    @Test
    void resignHandsLeadershipToTheNextCandidateAndRejoinsAtTheTail(ZkTestContext zk) throws Exception {
        ZkElection a = new ZkElection(zk.session(b -> b.participantId("a")), PATH);
        ZkElection b = new ZkElection(zk.session(bb -> bb.participantId("b")), PATH);
        ZkElection c = new ZkElection(zk.session(bb -> bb.participantId("c")), PATH);
        try (Candidacy ca = a.join()) {
            Leadership first = ca.awaitLeadership();
            try (Candidacy cb = b.join()) {
                awaitCandidates(zk, 2);
                try (Candidacy cc = c.join()) {
                    awaitCandidates(zk, 3);
                    QueueMetrics.Snapshot before = QueueMetrics.snapshot();
                    ca.resign();
                    Leadership second = cb.awaitLeadership();
                    assertFalse(ca.isLeader());
                    assertEquals(GrantState.RELEASED, first.state());
                    assertTrue(second.epoch() > first.epoch());
                    awaitCandidates(zk, 3); // a's new node is in: its pipelined listing was sent with it
                    QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
                    assertEquals(1, cost.deletes(), "resign = 1 delete + 1 join");
                    assertEquals(1, cost.creates(), "resign = 1 delete + 1 join");
                    assertEquals(1, cost.listings(), "only the re-join lists; the handover needs no listing");
                    assertEquals(List.of("b", "c", "a"), owners(a));
                    assertFalse(cc.isLeader());
                    assertEquals(ElectionState.CONTENDING, ca.state());
                }
            }
            Leadership again = ca.awaitLeadership();
            assertTrue(again.epoch() > first.epoch());
        }
        zk.awaitNoChildren(PATH); // the release's delete is pipelined: seen one commit later
    }

    @Test
    void isLeaderIsFalseAtOnceAfterCloseAndAfterTheSessionIsClosed(ZkTestContext zk) throws Exception {
        ZkSession s1 = zk.session();
        Candidacy c1 = new ZkElection(s1, PATH).join();
        Leadership term = c1.awaitLeadership();
        c1.close();
        assertFalse(c1.isLeader());
        assertEquals(ElectionState.CLOSED, c1.state());
        assertEquals(GrantState.RELEASED, term.state());
        zk.awaitNoChildren(PATH); // the release's delete is pipelined: seen one commit later
        assertThrows(IllegalStateException.class, c1::awaitLeadership);
        c1.close();

        ZkSession s2 = zk.session();
        Candidacy c2 = new ZkElection(s2, PATH).join();
        c2.awaitLeadership();
        s2.close();
        assertFalse(c2.isLeader(), "not leader at once when the session is closed");
        Await.until("the candidacy to close with its session", () -> c2.state() == ElectionState.CLOSED);
        c2.close();
    }

    @Test
    void anExpiredLeaderKnowsItsWriteIsRejectedAnotherLeadsAndItRejoinsWithOneNewNode(ZkTestContext zk) throws Exception {
        ZkSession sa = zk.session(b -> b.participantId("a"));
        ZkSession sb = zk.session(b -> b.participantId("b"));
        sb.curator().create().forPath("/data", "v0".getBytes());
        List<ElectionEvent> events = new CopyOnWriteArrayList<>();
        Candidacy a = new ZkElection(sa, PATH).candidacy();
        a.addListener(events::add);
        a.start();
        Leadership old = a.awaitLeadership();
        try (Candidacy b = new ZkElection(sb, PATH).join()) {
            awaitCandidates(zk, 2);
            long oldSession = sa.sessionId();

            zk.expire(sa);

            assertFalse(a.isLeader());
            Await.result("the old term to be lost", old.whenLost());
            assertEquals(GrantState.LOST, old.state());
            assertThrows(OwnershipLostException.class,
                    () -> old.guarded(sa.curator().transactionOp().setData().forPath("/data", "stale".getBytes())));
            Leadership next = b.awaitLeadership();
            assertTrue(next.epoch() > old.epoch());
            next.guarded(sb.curator().transactionOp().setData().forPath("/data", "new".getBytes()));
            assertArrayEquals("new".getBytes(), sb.curator().getData().forPath("/data"));

            Await.until("a to re-join in its new session", () -> {
                List<RecipeNode> cs = candidates(sb);
                return cs.size() == 2 && cs.get(1).sessionId() == sa.sessionId() && sa.sessionId() != oldSession;
            });
            assertEquals(2, zk.children(PATH).size(), "one new node, no more");
            assertTrue(events.stream().anyMatch(e -> e.lostLeadership() && e.epoch() == old.epoch()), events.toString());
            b.close();
            Leadership again = a.awaitLeadership();
            assertTrue(again.epoch() > next.epoch());
        } finally {
            a.close();
        }
        sb.curator().delete().forPath("/data");
    }

    @Test
    void threeConnectionResetsWithinASecondCreateNoNodeAndNoLeaderChange(ZkTestContext zk) throws Exception {
        ZkSession sa = zk.session();
        ZkSession sb = zk.session();
        List<ElectionEvent> events = new CopyOnWriteArrayList<>();
        List<Long> observed = new CopyOnWriteArrayList<>();
        try (Candidacy a = new ZkElection(sa, PATH).candidacy();
             Candidacy b = new ZkElection(sb, PATH).join()) {
            a.addListener(events::add);
            b.awaitLeadership();
            a.start();
            awaitCandidates(zk, 2);
            try (var r = new ZkElection(zk.session(), PATH).observe(l -> observed.add(l.map(Leader::epoch).orElse(0L)))) {
                Await.until("the observer to see b", () -> observed.size() == 1);
                QueueMetrics.Snapshot before = QueueMetrics.snapshot();
                long sessionB = sb.sessionId();
                for (int i = 0; i < 3; i++) {
                    // Reset both connections, then again as soon as they are back (ZooKeeper's client
                    // waits a random 0-1 s before reconnecting, so the three take about 1-3 s).
                    sb.zookeeper().getTestable().closeSocket();
                    sa.zookeeper().getTestable().closeSocket();
                    Await.until("both connections back", () -> sa.zookeeper().getState().isConnected()
                            && sb.zookeeper().getState().isConnected());
                }
                Await.until("both sessions back", () -> sa.state().isConnected() && sb.state().isConnected());
                Await.until("b to lead again", b::isLeader);
                assertEquals(sessionB, sb.sessionId(), "the session survived");
                assertEquals(0, QueueMetrics.snapshot().minus(before).creates(), "no node created");
                assertEquals(2, zk.children(PATH).size());
                assertFalse(a.isLeader());
                assertEquals(1, observed.size(), "no leader change: " + observed);
                assertTrue(events.stream().noneMatch(ElectionEvent::gainedLeadership), events.toString());
            }
        }
    }

    @Test
    void awaitingWithATimeoutReportsItByReturnValue(ZkTestContext zk) throws Exception {
        Candidacy a = new ZkElection(zk.session(), PATH).join();
        a.awaitLeadership();
        try (a; Candidacy b = new ZkElection(zk.session(), PATH).join()) {
            awaitCandidates(zk, 2);
            assertTrue(b.awaitLeadership(Duration.ofMillis(200)).isEmpty());
            assertTrue(b.awaitLeadership(Duration.ZERO).isEmpty());
            assertTrue(b.epoch().isEmpty());
            assertEquals(a.epoch().getAsLong(), a.leadership().orElseThrow().epoch());
            assertThrows(IllegalArgumentException.class, () -> b.awaitLeadership(null));
            a.close();
            assertTrue(b.awaitLeadership(Duration.ofSeconds(20)).isPresent());
        }
    }

    @Test
    void anElectionThatCannotJoinFailsVisiblyWithItsCause(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        // A directory nobody may create children in: the join is refused by the ensemble.
        s.curator().create().creatingParentsIfNeeded().withACL(org.apache.zookeeper.ZooDefs.Ids.READ_ACL_UNSAFE)
                .forPath(PATH);
        List<ElectionEvent> events = new CopyOnWriteArrayList<>();
        Candidacy c = new ZkElection(s, PATH).candidacy();
        c.addListener(events::add);
        c.start();
        Await.until("the candidacy to fail", () -> c.state() == ElectionState.FAILED);
        // The state is set first, then listeners are told: wait for the event too.
        Await.until("the FAILED event", () -> !events.isEmpty() && events.get(events.size() - 1).state() == ElectionState.FAILED);
        assertTrue(c.failure().orElseThrow() instanceof io.github.zkrecipes.AccessDeniedException, c.failure().toString());
        assertEquals(ElectionState.FAILED, events.get(events.size() - 1).state());
        assertTrue(events.get(events.size() - 1).cause() instanceof io.github.zkrecipes.AccessDeniedException);
        IllegalStateException e = assertThrows(IllegalStateException.class, c::awaitLeadership);
        assertTrue(e.getMessage().contains("FAILED"), e.getMessage());
        assertFalse(c.isLeader());
        c.close();
        assertEquals(ElectionState.FAILED, c.state());
        s.curator().delete().forPath(PATH);
        s.curator().delete().forPath("/elections");
    }

    @Test
    void badPathsAreRejectedNamingTheValue(ZkTestContext zk) {
        ZkSession s = zk.session();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ZkElection(s, "elections/x"));
        assertTrue(e.getMessage().contains("'elections/x'"), e.getMessage());
        Candidacy never = new ZkElection(s, PATH).candidacy();
        assertEquals(ElectionState.LATENT, never.state());
        never.close();
        assertEquals(ElectionState.CLOSED, never.state());
        assertThrows(IllegalStateException.class, never::start);
        ZkTestContext.awaitState(s, SessionState.CONNECTED);
    }

    static List<RecipeNode> candidates(ZkSession s) {
        try {
            return new ZkElection(s, PATH).candidates();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static List<String> owners(ZkElection e) {
        return candidates(e.session()).stream().map(n -> n.owner().id()).toList();
    }

    static void awaitCandidates(ZkTestContext zk, int n) {
        Await.until(n + " candidates under " + PATH, () -> {
            try {
                return zk.children(PATH).size() == n;
            } catch (Exception e) {
                return false;
            }
        });
    }
}
