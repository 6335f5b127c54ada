package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

@ZkTest
class GroupViewTest {
    private static final String PATH = "/groups/workers";
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    /** Records every event as text, in the order the view delivered them. */
    static final class Recorder implements GroupListener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void joined(Member m) {
            events.add("joined " + m.id() + "=" + m.dataAsString());
        }

        @Override
        public void left(Member m) {
            events.add("left " + m.id());
        }

        @Override
        public void dataChanged(Member before, Member after) {
            events.add("changed " + after.id() + "=" + after.dataAsString());
        }
    }

    /**
     * {@code await} answers a condition that already holds on the caller's thread, but only on
     * members whose changes the listeners were told of: never on an older state than {@code
     * members()} shows, and never before a listener heard of the change.
     */
    @Test
    void awaitAnswersOnTheCurrentMembersAndAfterTheListeners(ZkTestContext zk) throws Exception {
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        Membership a = group.join("a", "1");
        Membership b = group.join("b", "2");
        try (GroupView view = new ZkGroup(zk.session(), PATH).view()) {
            assertEquals(Set.of("a", "b"), view.members().keySet());
            // Right after opening: an empty group is an earlier state, not the current one.
            assertFalse(view.await(Map::isEmpty, Duration.ofMillis(300)));
            assertTrue(view.await(m -> m.size() == 2, PATIENCE));
            List<String> heard = new CopyOnWriteArrayList<>();
            java.util.concurrent.CountDownLatch inListener = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch letGo = new java.util.concurrent.CountDownLatch(1);
            view.addListener(new GroupListener() {
                @Override
                public void joined(Member m) {
                    if (m.id().equals("c")) {
                        inListener.countDown();
                        try {
                            letGo.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        heard.add(m.id());
                    }
                }
            });
            Membership c = group.join("c", "3");
            Await.latch("the listener to hear of c", inListener);
            assertTrue(view.members().containsKey("c"), "published before the listener returns");
            // Held in the listener: await must not return yet, although members() shows c.
            assertFalse(view.await(m -> m.containsKey("c"), Duration.ofMillis(300)));
            letGo.countDown();
            assertTrue(view.await(m -> m.containsKey("c"), PATIENCE));
            assertEquals(List.of("c"), heard);
            IllegalStateException thrown = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> view.await(m -> {
                        throw new IllegalArgumentException("a broken condition");
                    }, PATIENCE));
            assertEquals("a broken condition", thrown.getCause().getMessage());
            c.close();
        }
        a.close();
        b.close();
    }

    @Test
    void aViewConvergesAfterJoinsUpdatesAndLeavesAndListenersFireInOrder(ZkTestContext zk) throws Exception {
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        Membership early = group.join("early", "e");
        try (GroupView view = new ZkGroup(zk.session(), PATH).view()) {
            assertEquals(Set.of("early"), view.members().keySet());
            Recorder r = new Recorder();
            view.addListener(r);
            Membership a = group.join("a", "1");
            a.update("2");
            Membership b = group.join("b", "x");
            a.close();
            early.close();
            assertTrue(view.await(m -> m.keySet().equals(Set.of("b")), PATIENCE), view.members().toString());
            assertEquals(List.of("joined early=e", "joined a=1", "changed a=2", "joined b=x", "left a", "left early"),
                    r.events);
            assertEquals(1, zk.serverWatchCount() - 0, "one persistent watch for the view");
            b.close();
            assertTrue(view.awaitSize(0, PATIENCE));
        }
        assertEquals(0, zk.serverWatchCount());
    }

    @Test
    void listenersAreToldOfChangesToDifferentMembersInTheOrderTheyHappened(ZkTestContext zk) throws Exception {
        ZkGroup groupOfB = new ZkGroup(zk.session(), PATH);
        Membership b = groupOfB.join("b", "v0");
        ZkSession sessionOfA = zk.session();
        try (GroupView view = new ZkGroup(zk.session(), PATH).view()) {
            Recorder r = new Recorder();
            view.addListener(r);
            Await.until("replay", () -> r.events.size() == 1);
            List<String> expected = new java.util.ArrayList<>(List.of("joined b=v0"));
            for (int i = 1; i <= 15; i++) {
                Membership a = new ZkGroup(sessionOfA, PATH).join("a", "x");
                // A member that joins and leaves before the view reads it may never be reported
                // (documented): let the view read it first, under any load.
                assertTrue(view.await(m -> m.containsKey("a"), PATIENCE));
                b.update("v" + i);   // a data change (read by the view) ...
                a.close();           // ... then a deletion (no read): must not overtake it
                expected.addAll(List.of("joined a=x", "changed b=v" + i, "left a"));
            }
            Await.until("every change told", () -> r.events.size() == expected.size());
            assertEquals(expected, r.events);
        } finally {
            b.close();
        }
    }

    @Test
    void aJoinOrDataChangeCostsTheViewOneReadAndALeaveNone(ZkTestContext zk) throws Exception {
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        List<Membership> ms = new java.util.ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ms.add(group.join("m" + i, "d"));
        }
        ZkSession viewSession = zk.session();
        try (GroupView view = new ZkGroup(viewSession, PATH).view()) {
            assertEquals(20, view.size());
            Recorder r = new Recorder();
            view.addListener(r);
            Await.until("replay", () -> r.events.size() == 20);

            long before = requestsOf(zk, viewSession);
            ms.get(7).update("new");
            Await.until("change seen", () -> r.events.size() == 21);
            assertEquals(1, requestsOf(zk, viewSession) - before, "requests for one data change");
            assertEquals("changed m7=new", r.events.get(20));
            assertEquals("new", view.member("m7").dataAsString());
            assertEquals("d", view.member("m8").dataAsString());

            before = requestsOf(zk, viewSession);
            ms.add(group.join("late", "x"));
            Await.until("join seen", () -> r.events.size() == 22);
            assertEquals(1, requestsOf(zk, viewSession) - before, "requests for one join");

            before = requestsOf(zk, viewSession);
            ms.remove(0).close();
            Await.until("leave seen", () -> r.events.size() == 23);
            assertEquals(0, requestsOf(zk, viewSession) - before, "requests for one leave");
        } finally {
            ms.forEach(Membership::close);
        }
    }

    /**
     * The last request number (cxid) the server saw from {@code session}, from the {@code cons}
     * command: its growth is the number of requests sent (pings not included).
     */
    static long requestsOf(ZkTestContext zk, ZkSession session) throws Exception {
        String sid = "sid=0x" + Long.toHexString(session.sessionId());
        String out = org.apache.zookeeper.client.FourLetterWordMain.send4LetterWord("127.0.0.1", zk.server().port(0), "cons");
        for (String line : out.split("\n")) {
            if (line.contains(sid + ",") || line.contains(sid + ")")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("lcxid=0x([0-9a-f]+)").matcher(line);
                if (m.find()) {
                    return Long.parseLong(m.group(1), 16);
                }
            }
        }
        throw new AssertionError("no connection of " + sid + " in: " + out);
    }

    @Test
    void aViewConvergesWhenAMembersSessionIsClosedOrExpires(ZkTestContext zk) throws Exception {
        ZkSession crashing = zk.session();
        ZkSession expiring = zk.session();
        new ZkGroup(crashing, PATH).join("crash", "c");
        Membership exp = new ZkGroup(expiring, PATH).withAutoRejoin(false).join("exp", "e");
        Membership stay = new ZkGroup(zk.session(), PATH).join("stay", "s");
        try (GroupView view = new ZkGroup(zk.session(), PATH).view()) {
            assertEquals(new TreeSet<>(Set.of("crash", "exp", "stay")), new TreeSet<>(view.members().keySet()));
            Recorder r = new Recorder();
            view.addListener(r);
            crashing.close();
            assertTrue(view.await(m -> !m.containsKey("crash"), PATIENCE));
            zk.expire(expiring);
            assertTrue(view.await(m -> m.keySet().equals(Set.of("stay")), PATIENCE), view.members().toString());
            assertEquals("left crash", r.events.get(3));
            assertEquals("left exp", r.events.get(4));
            exp.close();
            stay.close();
        }
    }

    @Test
    void aViewSeesARejoinedMemberAfterItsOwnSessionExpired(ZkTestContext zk) throws Exception {
        ZkSession viewSession = zk.session();
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        try (Membership m = group.join("w", "1"); GroupView view = new ZkGroup(viewSession, PATH).view()) {
            Recorder r = new Recorder();
            view.addListener(r);
            zk.expire(viewSession); // the view's own watch dies with its session
            m.update("2");          // a change it cannot see until it re-reads
            Membership other = group.join("x", "y");
            assertTrue(view.await(v -> v.size() == 2 && "2".equals(v.get("w").dataAsString()), PATIENCE),
                    view.members().toString());
            assertTrue(r.events.containsAll(List.of("joined w=1", "changed w=2", "joined x=y")), r.events.toString());
            Await.until("exactly one watch: the view's, re-added on the new session", () -> zk.serverWatchCount() == 1);
            other.close();
        }
    }

    @Test
    void twoViewsOnOneSessionShareTheServerWatchAndClosingOneKeepsTheOther(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        GroupView first = new ZkGroup(s, PATH).view();
        try (GroupView second = new ZkGroup(s, PATH).view()) {
            assertEquals(1, zk.serverWatchCount(), "one server-side watch per session and path");
            first.close();
            try (Membership m = group.join("after", "x")) {
                assertTrue(second.awaitSize(1, PATIENCE), "the remaining view still sees changes");
                assertEquals(1, zk.serverWatchCount());
                assertEquals(0, first.size());
            }
            assertTrue(second.awaitSize(0, PATIENCE));
        }
        assertEquals(0, zk.serverWatchCount());
    }

    @Test
    void aViewWhoseSessionIsClosedStopsItsThread(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        GroupView view = new ZkGroup(s, PATH).view();
        s.close();
        Await.until("the view's thread to stop", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.getName().startsWith("zkr-group-view") && t.isAlive()));
        view.close();
    }

    @Test
    void aClosedViewsAwaitReturnsFalseAndListenersStop(ZkTestContext zk) throws Exception {
        ZkGroup group = new ZkGroup(zk.session(), PATH);
        GroupView view = group.view();
        assertFalse(view.awaitSize(1, Duration.ZERO));
        view.close();
        view.close();
        assertEquals(Map.of(), view.members());
    }
}
