package io.github.zkrecipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;

@ZkTest
class ZkSessionTest {

    @Test
    void connectsAndReportsItsSessionAndIdentity(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session(b -> b.participantId("worker-7"));
        assertEquals(SessionState.CONNECTED, session.state());
        assertNotEquals(0, session.sessionId());
        assertEquals(session.zookeeper().getSessionId(), session.sessionId());
        assertEquals("worker-7", session.participantId());
        assertEquals(zk.namespace(), session.namespace());
        assertEquals("/" + zk.namespace() + "/a/b", session.serverPath("/a/b"));
        assertEquals("/a/b", session.userPath("/" + zk.namespace() + "/a/b"));
        assertTrue(session.negotiatedSessionTimeout().toMillis() <= zk.sessionTimeout().toMillis());
    }

    @Test
    void defaultParticipantIdIsHostAndPid(ZkTestContext zk) {
        ZkSession session = zk.session();
        assertTrue(session.participantId().endsWith(":" + ProcessHandle.current().pid()), session.participantId());
    }

    @Test
    void malformedConnectStringsAreRejectedNamingTheProblem() {
        assertMessage("connect string is empty", () -> ZkSession.builder(""));
        assertMessage("port 'abc' of 'localhost:abc' is not a number", () -> ZkSession.builder("localhost:abc"));
        assertMessage("port 70000 of 'h:70000' is outside 1-65535", () -> ZkSession.builder("h:70000"));
        assertMessage("empty host entry", () -> ZkSession.builder("a:1,,b:2"));
        assertMessage("chroot '/x/' it must not end with '/'", () -> ZkSession.builder("a:1/x/"));
        assertMessage("IPv6 address '::1:2181' must be written as [address]:port", () -> ZkSession.builder("::1:2181"));
        ZkSession.builder("[::1]:2181,zk2:2181,zk3/chroot"); // valid: no exception
    }

    @Test
    void invalidSettingsAreRejectedNamingTheValue() {
        assertMessage("session timeout must be positive, was PT-1S",
                () -> ZkSession.builder("h:1").sessionTimeout(Duration.ofSeconds(-1)));
        assertMessage("invalid namespace 'a//b'", () -> ZkSession.builder("h:1").namespace("a//b"));
        assertMessage("invalid namespace '/a'", () -> ZkSession.builder("h:1").namespace("/a"));
        assertMessage("participant id ''", () -> ZkSession.builder("h:1").participantId(""));
    }

    @Test
    void unreachableEnsembleFailsAfterTheConnectionTimeoutNamingTheConnectString() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free once closed: nothing listens there
        }
        String cs = "127.0.0.1:" + port;
        long start = System.nanoTime();
        EnsembleUnreachableException e = assertThrows(EnsembleUnreachableException.class,
                () -> ZkSession.builder(cs).connectionTimeout(Duration.ofMillis(600)).connect());
        long waitedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(e.getMessage().contains("'" + cs + "'"), e.getMessage());
        assertTrue(e.getMessage().matches(".*waited \\d+ ms.*"), e.getMessage());
        assertTrue(waitedMs >= 600, "returned before the timeout: " + waitedMs + " ms");
        Await.until("the failed session's threads to stop", () -> Thread.getAllStackTraces().keySet().stream()
                .noneMatch(t -> t.isAlive() && t.getName().contains("127.0.0.1:" + port)));
    }

    @Test
    void callsOnAClosedSessionFailClearlyAndCloseIsIdempotent(ZkTestContext zk) {
        ZkSession session = zk.session();
        List<SessionState> seen = new CopyOnWriteArrayList<>();
        session.addStateListener((state, id) -> seen.add(state));
        session.close();
        session.close();
        assertEquals(SessionState.CLOSED, session.state());
        assertEquals(List.of(SessionState.CLOSED), seen);
        IllegalStateException e = assertThrows(IllegalStateException.class, session::zookeeper);
        assertTrue(e.getMessage().contains("is closed") && e.getMessage().contains(zk.connectString()), e.getMessage());
        assertThrows(IllegalStateException.class, () -> session.addStateListener((s, id) -> { }));
    }

    @Test
    void closeDeletesTheSessionsEphemeralNodesAtOnce(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        session.curator().create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL).forPath("/d/e");
        assertEquals(List.of("e"), zk.children("/d"));
        session.close();
        assertEquals(List.of(), zk.children("/d"));
    }

    @Test
    void serverRestartSuspendsAndReconnectsTheSameSession(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        long id = session.sessionId();
        List<SessionState> seen = new CopyOnWriteArrayList<>();
        session.addStateListener((state, sid) -> seen.add(state));
        zk.server().stop(0);
        ZkTestContext.awaitState(session, SessionState.SUSPENDED);
        zk.server().restart(0);
        ZkTestContext.awaitState(session, SessionState.RECONNECTED);
        assertEquals(id, session.sessionId());
        assertEquals(List.of(SessionState.SUSPENDED, SessionState.RECONNECTED), seen);
    }

    @Test
    void serverSideExpiryReportsLostThenANewSession(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        long id = session.sessionId();
        List<SessionState> seen = new CopyOnWriteArrayList<>();
        List<Long> ids = new CopyOnWriteArrayList<>();
        session.addStateListener((state, sid) -> {
            seen.add(state);
            ids.add(sid);
        });
        zk.expire(session);
        assertTrue(seen.contains(SessionState.LOST), seen.toString());
        assertEquals(SessionState.CONNECTED, seen.get(seen.size() - 1));
        assertEquals(id, ids.get(seen.indexOf(SessionState.LOST)));
        assertNotEquals(id, session.sessionId());
        assertEquals(session.sessionId(), ids.get(ids.size() - 1));
        assertTrue(session.state().isConnected());
    }

    @Test
    void aListenerThatThrowsDoesNotStopTheOthers(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        List<SessionState> seen = new CopyOnWriteArrayList<>();
        session.addStateListener((state, id) -> {
            throw new IllegalStateException("listener bug");
        });
        Registration r = session.addStateListener((state, id) -> seen.add(state));
        zk.server().stop(0);
        ZkTestContext.awaitState(session, SessionState.SUSPENDED);
        zk.server().restart(0);
        ZkTestContext.awaitState(session, SessionState.RECONNECTED);
        Await.until("the second listener to see both events", () -> seen.size() == 2);
        r.close();
        r.close();
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(expected), "message '" + e.getMessage() + "' lacks '" + expected + "'");
    }
}
