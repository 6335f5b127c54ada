package io.github.zkrecipes.internal.queue;

import static io.github.zkrecipes.internal.queue.QueueTesting.DIR;
import static io.github.zkrecipes.internal.queue.QueueTesting.awaitQueued;
import static io.github.zkrecipes.internal.queue.QueueTesting.join;
import static io.github.zkrecipes.internal.queue.QueueTesting.joinNow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.SecureAcls;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
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
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Secure mode on the engine: what another tenant, a reader and an anonymous client can and cannot do. */
@ZkTest
class SecureQueueTest {
    static final Id TENANT_A = SecureAcls.digest("tenant-a", "pw-a");
    static final Id TENANT_B = SecureAcls.digest("tenant-b", "pw-b");

    /**
     * The class's admin client looks at tenant-a's nodes as tenant-a (reading secure nodes needs
     * READ); the anonymous and other-tenant views use {@link #raw} clients.
     */
    @BeforeEach
    void adminIsTenantA(ZkTestContext zk) {
        zk.admin().addAuthInfo("digest", "tenant-a:pw-a".getBytes(StandardCharsets.UTF_8));
    }

    static ZkSession tenantA(ZkTestContext zk) {
        return zk.session(b -> b.digest("tenant-a", "pw-a").secure());
    }

    /** A raw client authenticated as {@code user} (or anonymous if null), closed by the caller. */
    static ZooKeeper raw(ZkTestContext zk, String user, String password) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper z = new ZooKeeper(zk.connectString(), 10_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        Await.latch("a raw client to connect", connected);
        if (user != null) {
            z.addAuthInfo("digest", (user + ":" + password).getBytes(StandardCharsets.UTF_8));
        }
        return z;
    }

    @Test
    void secureNodesDirectoriesAndTheNamespaceAreCreatedForTheCreatorOnly(ZkTestContext zk) throws Exception {
        ZkSession a = tenantA(zk);
        assertTrue(a.isSecure());
        QueueEntry e = joinNow(a);
        List<ACL> only = List.of(new ACL(Perms.ALL, TENANT_A));
        assertEquals(only, zk.admin().getACL(zk.serverPath(DIR), new Stat()), "directory");
        assertEquals(only, zk.admin().getACL("/" + zk.namespace(), new Stat()), "namespace");
        assertEquals(only, zk.admin().getACL(zk.serverPath(e.path()), new Stat()), "queue node");
        e.queue().remove(e);
    }

    @Test
    void anotherSessionOfTheSameTenantSharesTheQueue(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(tenantA(zk));
        ZkSession second = tenantA(zk);
        Worker<QueueEntry> waiter = Worker.start("same-tenant waiter", () -> joinNow(second));
        awaitQueued(zk, 2);
        assertFalse(waiter.isDone());
        holder.queue().remove(holder);
        QueueEntry granted = waiter.result();
        assertTrue(granted.czxid() > holder.czxid());
        granted.queue().remove(granted);
    }

    @Test
    void anotherTenantCannotJoinAndItsAttemptLeavesNothing(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(tenantA(zk));
        ZkSession b = zk.session(s -> s.digest("tenant-b", "pw-b").secure());
        AccessDeniedException denied = assertThrows(AccessDeniedException.class, () -> join(b, Duration.ofSeconds(5)));
        assertEquals(DIR, denied.path(), denied.getMessage());
        assertTrue(denied.getMessage().contains(DIR), denied.getMessage());
        ZkSession anonymous = zk.session();
        denied = assertThrows(AccessDeniedException.class, () -> join(anonymous, Duration.ZERO));
        assertEquals(DIR, denied.path());
        assertThrows(AccessDeniedException.class, () -> new SequentialQueue(anonymous, DIR).list());
        assertEquals(List.of(holder.node().name()), zk.children(DIR));
        holder.queue().remove(holder);
    }

    @Test
    void anotherTenantOrAnAnonymousClientCannotDeleteChangeReadOrForgeNodes(ZkTestContext zk) throws Exception {
        QueueEntry holder = joinNow(tenantA(zk));
        String node = zk.serverPath(holder.path());
        String dir = zk.serverPath(DIR);
        for (String user : new String[] {"tenant-b", null}) {
            try (ZooKeeper other = raw(zk, user, "pw-b")) {
                String who = user == null ? "anonymous" : user;
                assertThrows(KeeperException.NoAuthException.class, () -> other.delete(node, -1), who + " deleted the holder");
                assertThrows(KeeperException.NoAuthException.class, () -> other.setData(node, new byte[1], -1), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.getData(node, false, null), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.getChildren(dir, false), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.setACL(node, ZooDefs.Ids.OPEN_ACL_UNSAFE, -1), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.setACL(dir, ZooDefs.Ids.OPEN_ACL_UNSAFE, -1), who);
                // Posing as the holder: a node sorting ahead of everyone.
                assertThrows(KeeperException.NoAuthException.class, () -> other.create(dir + "/" + QueueNodeTest.name(-5),
                        new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL), who);
                assertThrows(KeeperException.NoAuthException.class, () -> other.delete(dir, -1), who);
            }
        }
        assertEquals(List.of(holder.node().name()), zk.children(DIR));
        holder.queue().remove(holder);
    }

    @Test
    void aReaderListsAndReadsButCannotJoin(ZkTestContext zk) throws Exception {
        ZkSession a = zk.session(b -> b.digest("tenant-a", "pw-a")
                .secure(SecureAcls.creatorOnly().readableBy(SecureAcls.digest("ops", "pw-ops"))));
        QueueEntry holder = joinNow(a);
        ZkSession ops = zk.session(b -> b.digest("ops", "pw-ops").secure());
        SequentialQueue seen = new SequentialQueue(ops, DIR);
        assertEquals(List.of(holder.node()), seen.list());
        assertEquals(holder.czxid(), seen.describe().get(0).stat().getCzxid());
        assertThrows(AccessDeniedException.class, () -> join(ops, Duration.ZERO));
        try (ZooKeeper asOps = raw(zk, "ops", "pw-ops")) {
            assertThrows(KeeperException.NoAuthException.class, () -> asOps.delete(zk.serverPath(holder.path()), -1));
        }
        holder.queue().remove(holder);
    }

    @Test
    void aCoUserTakesPartAndWaitsItsTurn(ZkTestContext zk) throws Exception {
        ZkSession a = zk.session(b -> b.digest("tenant-a", "pw-a").secure(SecureAcls.creatorOnly().sharedWith(TENANT_B)));
        ZkSession b = zk.session(s -> s.digest("tenant-b", "pw-b").secure(SecureAcls.creatorOnly().sharedWith(TENANT_A)));
        QueueEntry holder = joinNow(a);
        Worker<QueueEntry> waiter = Worker.start("co-user", () -> joinNow(b));
        awaitQueued(zk, 2);
        Await.until("the co-user to watch the holder", () -> zk.serverWatchCount() == 1);
        holder.queue().remove(holder);
        QueueEntry granted = waiter.result();
        try (ZooKeeper asB = raw(zk, "tenant-b", "pw-b")) {
            List<ACL> acl = asB.getACL(zk.serverPath(granted.path()), new Stat());
            assertEquals(List.of(new ACL(Perms.ALL, TENANT_B), new ACL(Perms.READ | Perms.WRITE | Perms.CREATE | Perms.DELETE,
                    TENANT_A)), acl);
        }
        granted.queue().remove(granted);
    }

    @Test
    void secureModeWithoutAnIdentityFailsSayingSoAndCreatesNothing(ZkTestContext zk) throws Exception {
        ZkSession nobody = zk.session(ZkSession.Builder::secure);
        AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> join(nobody, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("authenticated"), e.getMessage());
        assertEquals(DIR, e.path());
        assertEquals(null, zk.admin().exists("/" + zk.namespace(), false));
    }

    @Test
    void secureAclsRejectIdsThatNameNobody() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SecureAcls.creatorOnly().readableBy(ZooDefs.Ids.ANYONE_ID_UNSAFE));
        assertTrue(e.getMessage().contains("world:anyone"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SecureAcls.digest("a:b", "pw"));
        assertTrue(e.getMessage().contains("'a:b'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SecureAcls.x509(" "));
        assertTrue(e.getMessage().contains("' '"), e.getMessage());
    }
}
