package io.github.zkrecipes.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.SecureAcls;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Tenant isolation of an election in secure mode, and hostile state in an open one: nobody else
 * can stand, unseat the leader, pose as leader or read who leads; a persistent node with a
 * candidate's name neither leads nor blocks.
 */
@ZkTest
class ElectionIsolationTest {
    static final String PATH = "/elections/tenant-a";
    static final String FORGED = "candidate_0123456789abcdef0123456789abcdef_-000000001";

    @BeforeEach
    void adminIsTenantA(ZkTestContext zk) {
        zk.admin().addAuthInfo("digest", "tenant-a:pw-a".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void anotherTenantCannotStandUnseatPoseAsOrSeeTheLeader(ZkTestContext zk) throws Exception {
        ZkSession a = zk.session(b -> b.digest("tenant-a", "pw-a")
                .secure(SecureAcls.creatorOnly().readableBy(SecureAcls.digest("ops", "pw-ops"))));
        try (Candidacy mine = new ZkElection(a, PATH).join()) {
            Leadership term = mine.awaitLeadership();
            String leaderNode = zk.children(PATH).get(0);

            ZkElection theirs = new ZkElection(zk.session(b -> b.digest("tenant-b", "pw-b").secure()), PATH);
            try (Candidacy intruder = theirs.join()) {
                Await.until("the intruder's candidacy to fail", () -> intruder.state() == ElectionState.FAILED);
                AccessDeniedException e = assertInstanceOf(AccessDeniedException.class, intruder.failure().orElseThrow());
                assertEquals(PATH, e.path(), e.getMessage());
                assertThrows(IllegalStateException.class, () -> intruder.awaitLeadership(Duration.ZERO));
            }
            AccessDeniedException e = assertThrows(AccessDeniedException.class, theirs::leader);
            assertEquals(PATH, e.path());
            assertThrows(AccessDeniedException.class, () -> new ZkElection(zk.session(), PATH).leader());

            for (String user : new String[] {"tenant-b", null}) {
                CountDownLatch up = new CountDownLatch(1);
                try (ZooKeeper other = new ZooKeeper(zk.connectString(), 10_000, ev -> {
                    if (ev.getState() == Watcher.Event.KeeperState.SyncConnected) {
                        up.countDown();
                    }
                })) {
                    Await.latch("a raw client", up);
                    if (user != null) {
                        other.addAuthInfo("digest", (user + ":pw-b").getBytes(StandardCharsets.UTF_8));
                    }
                    assertThrows(KeeperException.NoAuthException.class,
                            () -> other.delete(zk.serverPath(PATH + "/" + leaderNode), -1));
                    assertThrows(KeeperException.NoAuthException.class,
                            () -> other.setData(zk.serverPath(PATH + "/" + leaderNode), new byte[0], -1));
                    assertThrows(KeeperException.NoAuthException.class, () -> other.create(zk.serverPath(PATH + "/" + FORGED),
                            new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL));
                }
            }
            assertEquals(List.of(leaderNode), zk.children(PATH));
            assertTrue(term.isHeld() && mine.isLeader());

            ZkElection ops = new ZkElection(zk.session(b -> b.digest("ops", "pw-ops").secure()), PATH);
            assertEquals(term.epoch(), ops.leader().orElseThrow().epoch(), "a reader sees who leads");
        }
        zk.awaitNoChildren(PATH);
    }

    @Test
    void aPersistentNodeWithACandidatesNameNeitherLeadsNorBlocks(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        s.curator().create().creatingParentContainersIfNeeded().forPath(PATH + "/" + FORGED);
        ZkElection election = new ZkElection(s, PATH);
        assertTrue(election.leader().isEmpty(), "nobody's node is taken for a leader");
        try (Candidacy me = election.join()) {
            Leadership term = me.awaitLeadership(Duration.ofSeconds(10)).orElseThrow(() -> new AssertionError("blocked"));
            assertEquals(term.epoch(), election.leader().orElseThrow().epoch());
            assertEquals(1, election.candidates().size());
        }
        zk.admin().delete(zk.serverPath(PATH + "/" + FORGED), -1);
    }
}
