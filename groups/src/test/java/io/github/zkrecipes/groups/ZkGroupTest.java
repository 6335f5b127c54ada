package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

@ZkTest
class ZkGroupTest {
    private static final String PATH = "/groups/workers";

    @Test
    void joinShowsTheMemberAndCloseRemovesIt(ZkTestContext zk) throws Exception {
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        try (Membership m = group.join("w1", "host-a:8080")) {
            assertEquals(Membership.State.ACTIVE, m.state());
            Member seen = group.members().get("w1");
            assertEquals("host-a:8080", seen.dataAsString());
            assertEquals(m.node(), seen.node());
            m.update("host-a:9090");
            assertEquals("host-a:9090", group.members().get("w1").dataAsString());
        }
        assertEquals(List.of(), zk.children(PATH)); // member node and id claim
    }

    @Test
    void badMemberIdsAreRejectedByName(ZkTestContext zk) {
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> group.join("a\nb", "x"));
        assertTrue(e.getMessage().contains("a?b"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> group.join(" ", "x"));
        assertTrue(e.getMessage().contains("' '"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> group.join("x".repeat(300), "x"));
        assertThrows(IllegalArgumentException.class, () -> new ZkGroup(zk.session(), "groups/no-slash"));
    }

    @Test
    void aSecondJoinWithTheSameIdIsRejectedAndLeavesNothing(ZkTestContext zk) throws Exception {
        ZkGroup a = new ZkGroup(zk.session(), PATH);
        ZkGroup b = new ZkGroup(zk.session(), PATH);
        try (Membership first = a.join("w1", "a")) {
            DuplicateMemberException e = assertThrows(DuplicateMemberException.class, () -> b.join("w1", "b"));
            assertEquals("w1", e.memberId());
            assertTrue(e.getMessage().contains("'w1'"), e.getMessage());
            assertEquals(first.sessionId(), e.holderSession());
            assertEquals(1, memberNodes(zk).size());
            assertEquals(List.of(IdClaim.name("w1")), zk.children(PATH).stream().filter(c -> c.startsWith("id-")).toList());
            assertEquals("a", a.members().get("w1").dataAsString());
        }
        try (Membership again = b.join("w1", "b")) { // free again after the first left
            assertEquals("b", a.members().get("w1").dataAsString());
        }
    }

    @Test
    void concurrentJoinsWithTheSameIdLeaveExactlyOne(ZkTestContext zk) throws Exception {
        GroupView view = new ZkGroup(zk.session(), PATH).view();
        GroupViewTest.Recorder recorder = new GroupViewTest.Recorder();
        view.addListener(recorder);
        for (int round = 0; round < 5; round++) {
            int n = 4;
            CountDownLatch go = new CountDownLatch(1);
            List<Worker<Membership>> workers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                ZkGroup g = new ZkGroup(zk.session(), PATH);
                String data = "c" + i;
                workers.add(Worker.start("joiner-" + i, () -> {
                    go.await();
                    return g.join("same", data);
                }));
            }
            go.countDown();
            List<Membership> winners = new ArrayList<>();
            int refused = 0;
            for (Worker<Membership> w : workers) {
                try {
                    winners.add(w.result());
                } catch (DuplicateMemberException e) {
                    refused++;
                }
            }
            assertEquals(1, winners.size(), "winners in round " + round);
            assertEquals(n - 1, refused);
            assertEquals(1, memberNodes(zk).size(), "losers make no member node");
            assertEquals(winners.get(0).node(), PATH + "/" + memberNodes(zk).get(0));
            String winnerData = new String(winners.get(0).data(), java.nio.charset.StandardCharsets.UTF_8);
            winners.get(0).close();
            int r = round;
            // the view never showed a loser: one join (the winner's) and one leave per round
            Await.until("the view to see round " + r + " end", () -> recorder.events.size() == 2 * (r + 1));
            assertEquals(List.of("joined same=" + winnerData, "left same"), recorder.events.subList(2 * r, 2 * r + 2));
        }
        view.close();
    }

    @Test
    void aMemberRejoinsAfterItsSessionExpiresAndListenersAreTold(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        ZkGroup group = new ZkGroup(session, PATH);
        try (Membership m = group.join("w1", "v1")) {
            List<Membership.State> states = new CopyOnWriteArrayList<>();
            m.addListener((mm, s) -> states.add(s));
            long before = m.sessionId();
            m.update("v2");
            zk.expire(session);
            Await.until("re-joined in the new session",
                    () -> m.state() == Membership.State.ACTIVE && m.sessionId() == session.sessionId());
            assertNotEquals(before, m.sessionId());
            assertTrue(states.contains(Membership.State.REJOINING), states.toString());
            assertEquals(Membership.State.ACTIVE, states.get(states.size() - 1));
            assertEquals("v2", new ZkGroup(zk.session(), PATH).members().get("w1").dataAsString());
        }
        Await.until("nothing left", () -> childrenQuietly(zk).isEmpty());
    }

    @Test
    void afterASuspensionAMemberConfirmsItsNodeWithAWriteAndRejoinsIfItWasDeleted(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        try (Membership m = new ZkGroup(session, PATH).join("w1", "v1")) {
            String first = m.node();
            zk.admin().delete(zk.serverPath(first), -1); // removed behind the member's back
            zk.server().stop(0);
            Await.until("uncertain while suspended", () -> m.state() == Membership.State.UNCERTAIN);
            zk.server().restart(0);
            ZkTestContext.awaitState(session, io.github.zkrecipes.SessionState.RECONNECTED);
            Await.until("re-joined with a new node", () -> m.state() == Membership.State.ACTIVE
                    && m.node() != null && !m.node().equals(first));
            assertEquals(List.of(m.node().substring(PATH.length() + 1)), memberNodes(zk));
            assertEquals("v1", new ZkGroup(zk.session(), PATH).members().get("w1").dataAsString());
        }
    }

    @Test
    void withoutAutoRejoinAnExpiredMembershipIsLost(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        ZkGroup group = new ZkGroup(session, PATH).withAutoRejoin(false);
        try (Membership m = group.join("w1", "v1")) {
            zk.expire(session);
            Await.until("membership lost", () -> m.state() == Membership.State.LOST);
            assertNull(m.node());
            assertInstanceOf(io.github.zkrecipes.SessionLostException.class, m.lostCause());
            assertThrows(IllegalStateException.class, () -> m.update("x"));
            assertEquals(Set.of(), group.members().keySet());
        }
    }

    /** The member nodes under the group (not the id claims). */
    static List<String> memberNodes(ZkTestContext zk) {
        return childrenQuietly(zk).stream().filter(c -> c.startsWith("member_")).toList();
    }

    static List<String> childrenQuietly(ZkTestContext zk) {
        try {
            return zk.children(PATH);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
