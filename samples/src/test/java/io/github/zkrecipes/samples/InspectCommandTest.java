package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.locks.ZkReadWriteLock;
import io.github.zkrecipes.locks.ZkSemaphore;
import io.github.zkrecipes.testing.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code zkr inspect} against a known state on one embedded server: a lock with a waiter, a
 * semaphore, a read-write lock, an election, a barrier and a group, plus three kinds of trouble:
 * a persistent node with a protected name, a node whose session's client is gone (a real session,
 * alive on the server, whose connection was dropped without closing it), a node whose data claims
 * another session, a node with foreign data, and world-writable ACLs next to restricted ones.
 */
class InspectCommandTest {
    private static final String NASTY = "he said \"hi\"\n\\ \u0001 é";
    private static EmbeddedZooKeeper zk;
    private static ZkSession alice;
    private static ZkSession bob;
    private static ZkSession carol;
    private static ZooKeeper r1;
    private static ZooKeeper r2;
    private static final List<Thread> waiters = new ArrayList<>();
    private static String c1Node;
    private static long c1Fence;
    private static String c2Node;
    private static String ghostMember;
    private static long ghostSession;
    private static String stuckNode;
    private static String rawDataMember;
    private static String roOpenNode;
    private static String roClosedNode;
    private static ZkSession dave;

    @BeforeAll
    static void knownState() throws Exception {
        // Sessions of up to 20 s (20 ticks): the client-gone session must outlive the test.
        zk = EmbeddedZooKeeper.builder().tickTime(Duration.ofSeconds(1)).start();
        alice = session("alice");
        bob = session("bob");
        carol = session("carol");

        ZkLock lock = new ZkLock(alice, "/app/lock");
        LockHandle held = lock.acquire();
        waitInBackground(() -> new ZkLock(bob, "/app/lock").acquire());
        Await.until("bob queued for the lock", () -> queued(() -> lock.waiters().size() == 1));
        assertTrue(held.isHeld());

        ZkSemaphore sem = new ZkSemaphore(alice, "/app/sem", 3);
        sem.acquire(2);
        waitInBackground(() -> new ZkSemaphore(bob, "/app/sem", 3).acquire(2));
        Await.until("bob queued for the semaphore", () -> queued(() -> sem.waiters().size() == 1));

        ZkReadWriteLock rw = new ZkReadWriteLock(alice, "/app/rw");
        rw.acquireRead();
        new ZkReadWriteLock(carol, "/app/rw").acquireRead();
        waitInBackground(() -> new ZkReadWriteLock(bob, "/app/rw").acquireWrite());
        Await.until("bob queued to write", () -> queued(() -> rw.queue().size() == 3));

        r1 = raw(20_000);
        r2 = raw(20_000);
        c1Node = create(r1, "/app/election", "candidate", who("c1"), CreateMode.EPHEMERAL_SEQUENTIAL, Ids.OPEN_ACL_UNSAFE);
        c1Fence = r1.exists(c1Node, false).getCzxid();
        c2Node = create(r2, "/app/election", "candidate",
                who("c2").with("session", "0x" + Long.toHexString(alice.sessionId())).encode(),
                CreateMode.EPHEMERAL_SEQUENTIAL, Ids.OPEN_ACL_UNSAFE);

        create(alice.zookeeper(), "/app/barrier", "barrier", Participant.current(alice).encode(),
                CreateMode.EPHEMERAL_SEQUENTIAL, Ids.OPEN_ACL_UNSAFE);
        create(carol.zookeeper(), "/app/barrier", "barrier", Participant.current(carol).encode(),
                CreateMode.EPHEMERAL_SEQUENTIAL, Ids.OPEN_ACL_UNSAFE);

        create(alice.zookeeper(), "/app/group", "member", Participant.current(alice).with("role", "worker").encode(),
                CreateMode.EPHEMERAL_SEQUENTIAL, Ids.OPEN_ACL_UNSAFE);
        rawDataMember = create(carol.zookeeper(), "/app/group", "member", NASTY.getBytes(StandardCharsets.UTF_8),
                CreateMode.EPHEMERAL_SEQUENTIAL, Ids.OPEN_ACL_UNSAFE);
        ZooKeeper ghost = raw(20_000);
        ghostSession = ghost.getSessionId();
        ghostMember = create(ghost, "/app/group", "member", who("ghost-member"), CreateMode.EPHEMERAL_SEQUENTIAL,
                Ids.OPEN_ACL_UNSAFE);
        // Drop the connection without closing the session: the server keeps it (and its node)
        // until it expires, 20 s from now; its client is gone.
        ghost.getTestable().injectSessionExpiration();
        Await.until("the ghost's connection to be gone from 'cons'", () -> {
            SessionList s = SessionList.of(zk.connectString(), 2_000);
            return s.complete() && !s.sessions().contains(ghostSession) && s.sessions().contains(alice.sessionId());
        });

        stuckNode = create(alice.zookeeper(), "/app/stuck", "lock", who("ghost"), CreateMode.PERSISTENT_SEQUENTIAL,
                Ids.OPEN_ACL_UNSAFE);

        List<ACL> restricted = new ArrayList<>(List.of(new ACL(ZooDefs.Perms.READ, Ids.ANYONE_ID_UNSAFE),
                new ACL(ZooDefs.Perms.ALL, new Id("ip", "127.0.0.1")))); // mutable: ZooKeeper asks contains(null)
        alice.zookeeper().create("/app/ro", new byte[0], restricted, CreateMode.PERSISTENT);
        roClosedNode = create(alice.zookeeper(), "/app/ro", "lock", Participant.current(alice).encode(),
                CreateMode.EPHEMERAL_SEQUENTIAL, restricted);
        roOpenNode = create(carol.zookeeper(), "/app/ro", "lock", Participant.current(carol).encode(),
                CreateMode.EPHEMERAL_SEQUENTIAL, Ids.OPEN_ACL_UNSAFE);

        // A tenant in secure mode, outside /app: only its own identity may read its lock.
        dave = ZkSession.builder(zk.connectString()).participantId("dave").sessionTimeout(Duration.ofSeconds(20))
                .digest("dave", "pw-d").secure().connect();
        new ZkLock(dave, "/secure/lock").acquire();
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {r1::close, r2::close, alice, bob, carol, dave, zk}) {
            if (c != null) {
                c.close();
            }
        }
        for (Thread t : waiters) {
            t.join(TimeUnit.SECONDS.toMillis(10)); // their acquires fail once bob's session is closed
        }
    }

    @Test
    void theTableShowsEveryRecipeInOrder() {
        Run run = Run.zkr("inspect", "/app", "--connect", zk.connectString());

        assertEquals(0, run.exitCode(), run.both());
        assertEquals("", run.err(), run.both());
        String out = run.out();
        assertTrue(out.contains("sessions checked with 'cons' on 1 of 1 server(s)"), run.both());
        assertTrue(line(out, "/app/lock:").matches("/app/lock: lock, held by \\[alice] \\(fence 0x[0-9a-f]+\\), 1 waiting"),
                run.both());
        assertTrue(line(out, "waiter 1   [bob]").contains("lock_"), run.both());
        assertEquals("/app/sem: semaphore of 3 permits, 2 held by 1, 1 waiting", line(out, "/app/sem:"), run.both());
        assertEquals("/app/rw: read-write lock, read by 2, 1 waiting", line(out, "/app/rw:"), run.both());
        assertEquals("/app/election: election, leader [c1], epoch 0x" + Long.toHexString(c1Fence) + ", 2 candidates",
                line(out, "/app/election:"), run.both());
        assertEquals("/app/barrier: barrier, 2 entered", line(out, "/app/barrier:"), run.both());
        assertEquals("/app/group: group, 3 members", line(out, "/app/group:"), run.both());
        assertTrue(line(out, "[alice]", "member_").contains("role=worker"), run.both());
        assertTrue(line(out, "[?]", "member_").endsWith("he said \"hi\" \\ ? é"), "control characters masked: " + run.both());
        assertTrue(line(out, "/app/stuck:").startsWith("/app/stuck: lock, held by [ghost]"), run.both());
        // Holders come before waiters: the order of the table is the queue's.
        assertTrue(out.indexOf("holder     [alice]") < out.indexOf("waiter 1   [bob]"), run.both());
    }

    @Test
    void theFindingsNameOrphansIdentityMismatchesAndWorldWritableNodes() {
        Run run = Run.zkr("inspect", "/app", "--connect", zk.connectString());
        String out = run.out();

        assertTrue(line(out, "ORPHAN", stuckNode).contains("persistent node with a protected name"), run.both());
        assertTrue(line(out, "ORPHAN", ghostMember).contains("owner session 0x" + Long.toHexString(ghostSession)
                + " has no connection to any server"), run.both());
        assertTrue(line(out, "IDENTITY", c2Node).contains("its data records session 0x"
                + Long.toHexString(alice.sessionId()) + " but it is owned by session 0x" + Long.toHexString(r2.getSessionId())),
                run.both());
        assertTrue(line(out, "IDENTITY", rawDataMember).contains("no participant identity"), run.both());
        assertTrue(line(out, "WORLD-WRITABLE", roOpenNode + ":").contains("world:anyone may cdrwa"), run.both());
        for (String dir : List.of("/app/lock", "/app/sem", "/app/rw", "/app/election", "/app/barrier", "/app/group")) {
            assertTrue(line(out, "WORLD-WRITABLE  " + dir + ":").contains("on the directory"), run.both());
        }
        // Nothing else: live, well-identified nodes of connected sessions are fine; restricted ACLs are fine.
        List<String> findings = out.lines().dropWhile(l -> !l.startsWith("Findings")).skip(1).toList();
        assertEquals(4 + 1 + 7, findings.size(), run.both());
        assertFalse(out.contains("WORLD-WRITABLE  /app/ro:"), run.both());
        assertFalse(out.contains(roClosedNode + ":"), run.both());
        assertFalse(out.contains("ORPHAN          " + c1Node), run.both());
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonCarriesTheSameFactsAndEscapesForeignData() {
        Run run = Run.zkr("inspect", "/app", "--json", "--connect", zk.connectString());
        assertEquals(0, run.exitCode(), run.both());
        Map<String, Object> doc = (Map<String, Object>) MiniJson.parse(run.out());

        assertEquals("/app", doc.get("path"));
        assertEquals(true, ((Map<String, Object>) doc.get("sessionCheck")).get("complete"));
        List<Map<String, Object>> recipes = (List<Map<String, Object>>) doc.get("recipes");
        assertEquals(List.of("/app/barrier:barrier", "/app/election:election", "/app/group:group", "/app/lock:lock",
                        "/app/ro:lock", "/app/rw:rwlock", "/app/sem:semaphore", "/app/stuck:lock"),
                recipes.stream().map(r -> r.get("path") + ":" + r.get("type")).sorted().toList(), run.out());
        Map<String, Object> election = recipe(recipes, "/app/election");
        assertEquals("c1", election.get("leader"));
        assertEquals(c1Fence, election.get("epoch"));
        Map<String, Object> sem = recipe(recipes, "/app/sem");
        assertEquals(3L, sem.get("permits"));
        List<Map<String, Object>> semNodes = (List<Map<String, Object>>) sem.get("nodes");
        assertEquals(List.of("holder", "waiter"), semNodes.stream().map(n -> n.get("role")).toList());
        assertEquals(List.of(2L, 2L), semNodes.stream().map(n -> n.get("weight")).toList());
        assertEquals("bob", ((Map<String, Object>) semNodes.get(1).get("owner")).get("id"));
        List<Map<String, Object>> members = (List<Map<String, Object>>) recipe(recipes, "/app/group").get("nodes");
        assertTrue(members.stream().anyMatch(m -> NASTY.equals(m.get("data"))), "foreign data round-trips: " + run.out());
        assertEquals(List.of("orphan", "orphan", "identity", "identity"),
                ((List<Map<String, Object>>) doc.get("findings")).stream().limit(4).map(f -> f.get("kind")).toList(),
                "the worst findings first: " + run.out());

        List<Map<String, Object>> findings = (List<Map<String, Object>>) doc.get("findings");
        assertEquals(2, findings.stream().filter(f -> f.get("kind").equals("orphan")).count(), run.out());
        assertEquals(2, findings.stream().filter(f -> f.get("kind").equals("identity")).count(), run.out());
        assertEquals(8, findings.stream().filter(f -> f.get("kind").equals("world-writable")).count(), run.out());
    }

    @Test
    void everyNodeAndDirectoryShowsItsAclInShortForm() {
        Run run = Run.zkr("inspect", "/app", "--connect", zk.connectString());
        String out = run.out();
        assertTrue(line(out, "holder     [alice]", "lock_").contains("world:anyone=cdrwa"), run.both());
        assertTrue(line(out, "[alice]", roClosedNode.substring(roClosedNode.lastIndexOf('/') + 1))
                .contains("world:anyone=r,ip:127.0.0.1=cdrwa"), run.both());
        assertTrue(out.contains("  directory ACL: world:anyone=cdrwa"), run.both());
        assertTrue(out.contains("  directory ACL: world:anyone=r,ip:127.0.0.1=cdrwa"), run.both());
    }

    @Test
    @SuppressWarnings("unchecked")
    void aTenantsSecureRecipesAreUnreadableWithoutItsIdentityAndShownWithIt() {
        Run anonymous = Run.zkr("inspect", "/", "--connect", zk.connectString());
        assertEquals(0, anonymous.exitCode(), anonymous.both());
        assertTrue(line(anonymous.out(), "UNREADABLE", "/secure:").contains("--digest"), anonymous.both());
        assertFalse(anonymous.out().contains("/secure/lock:"), anonymous.both());

        Run asDave = Run.zkr("inspect", "/secure", "--digest", "dave:pw-d", "--connect", zk.connectString());
        assertEquals(0, asDave.exitCode(), asDave.both());
        String out = asDave.out();
        assertTrue(line(out, "/secure/lock:").startsWith("/secure/lock: lock, held by [dave]"), asDave.both());
        assertTrue(out.contains("  directory ACL: digest:dave=cdrwa"), asDave.both());
        assertTrue(line(out, "holder     [dave]").contains("digest:dave=cdrwa"), asDave.both());
        assertTrue(out.contains("Findings: none."), "a secure recipe is not world-writable: " + asDave.both());

        Run json = Run.zkr("inspect", "/secure", "--json", "--digest", "dave:pw-d", "--connect", zk.connectString());
        Map<String, Object> lock = recipe((List<Map<String, Object>>) ((Map<String, Object>) MiniJson.parse(json.out()))
                .get("recipes"), "/secure/lock");
        assertEquals("digest:dave=cdrwa", lock.get("acl"), json.out());
        assertEquals("digest:dave=cdrwa", ((List<Map<String, Object>>) lock.get("nodes")).get(0).get("acl"), json.out());

        Run wrong = Run.zkr("inspect", "/secure", "--digest", "mallory:guess", "--connect", zk.connectString());
        assertEquals(1, wrong.exitCode(), wrong.both());
        assertTrue(wrong.errorLine().contains("not allowed to read /secure"), wrong.both());
    }

    @Test
    void aSubtreeShowsOnlyItsRecipesAndAMissingPathFails() {
        Run one = Run.zkr("inspect", "/app/lock", "--connect", zk.connectString());
        assertEquals(0, one.exitCode(), one.both());
        assertTrue(one.out().contains("/app/lock: lock"), one.both());
        assertFalse(one.out().contains("/app/sem"), one.both());

        Run missing = Run.zkr("inspect", "/nowhere", "--connect", zk.connectString());
        assertEquals(1, missing.exitCode(), missing.both());
        assertEquals("zkr: no znode /nowhere on " + zk.connectString(), missing.errorLine());
    }

    // ---- the known state ----

    private static ZkSession session(String id) {
        return ZkSession.builder(zk.connectString()).participantId(id).sessionTimeout(Duration.ofSeconds(20)).connect();
    }

    private static ZooKeeper raw(int sessionTimeoutMs) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper z = new ZooKeeper(zk.connectString(), sessionTimeoutMs, e -> {
            if (e.getState() == KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        Await.latch("a raw session to connect", connected);
        return z;
    }

    private static Participant who(String id) {
        return new Participant(id, "test-host", 4242, "main", Instant.now(), Map.of());
    }

    private static String create(ZooKeeper z, String dir, String kind, Participant p, CreateMode mode, List<ACL> acl)
            throws Exception {
        return create(z, dir, kind, p.encode(), mode, acl);
    }

    /** A node named as the queue engine names them: kind, a 32-hex protected id, then ZooKeeper's sequence. */
    private static String create(ZooKeeper z, String dir, String kind, byte[] data, CreateMode mode, List<ACL> acl)
            throws Exception {
        if (z.exists(dir, false) == null) {
            try {
                z.create(dir, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            } catch (org.apache.zookeeper.KeeperException.NodeExistsException raced) {
                // fine
            }
        }
        String id = UUID.randomUUID().toString().replace("-", "");
        return z.create(dir + "/" + kind + "_" + id + "_", data, acl, mode);
    }

    private static void waitInBackground(Acquire acquire) {
        Thread t = new Thread(() -> {
            try {
                acquire.run();
            } catch (Exception expected) {
                // the session is closed at the end of the class
            }
        }, "waiter-" + waiters.size());
        t.setDaemon(true);
        waiters.add(t);
        t.start();
    }

    @FunctionalInterface
    private interface Acquire {
        Object run() throws Exception;
    }

    @FunctionalInterface
    private interface Check {
        boolean holds() throws Exception;
    }

    private static boolean queued(Check c) {
        try {
            return c.holds();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static String line(String text, String... containing) {
        return text.lines().filter(l -> java.util.Arrays.stream(containing).allMatch(l::contains)).findFirst()
                .map(String::strip)
                .orElseThrow(() -> new AssertionError("no line with " + List.of(containing) + " in:\n" + text));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> recipe(List<Map<String, Object>> recipes, String path) {
        return recipes.stream().filter(r -> r.get("path").equals(path)).findFirst().orElseThrow();
    }
}
