package io.github.zkrecipes.locks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.github.zkrecipes.testing.Tenants.tenantA;
import static io.github.zkrecipes.testing.Tenants.tenantB;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Tenants;
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
import org.junit.jupiter.api.function.Executable;

/**
 * Tenant isolation for the lock, the read-write lock and the semaphore in secure mode: another
 * tenant, or an anonymous client, cannot take part, break a holder's node, pose as a holder or
 * read who holds; the recipes say so with {@link AccessDeniedException} naming the path, and
 * leave nothing behind. A reader given READ sees the holder and can do nothing else.
 */
@ZkTest
class LocksIsolationTest {

    @BeforeEach
    void adminIsTenantA(ZkTestContext zk) {
        Tenants.adminIsTenantA(zk);
    }

    private static void denied(String path, Executable call) {
        AccessDeniedException e = assertThrows(AccessDeniedException.class, call);
        assertEquals(path, e.path(), e.getMessage());
    }

    /** Raw attacks on {@code holderNode} in {@code dir} by tenant-b and by an anonymous client: all refused. */
    private static void rawAttacksFail(ZkTestContext zk, String dir, String holderNode) throws Exception {
        for (String user : new String[] {"tenant-b", null}) {
            CountDownLatch up = new CountDownLatch(1);
            try (ZooKeeper other = new ZooKeeper(zk.connectString(), 10_000, e -> {
                if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    up.countDown();
                }
            })) {
                Await.latch("a raw client", up);
                if (user != null) {
                    other.addAuthInfo("digest", (user + ":pw-b").getBytes(StandardCharsets.UTF_8));
                }
                String node = zk.serverPath(dir + "/" + holderNode);
                assertThrows(KeeperException.NoAuthException.class, () -> other.delete(node, -1));
                assertThrows(KeeperException.NoAuthException.class, () -> other.setData(node, new byte[0], -1));
                assertThrows(KeeperException.NoAuthException.class, () -> other.getData(node, false, null));
                assertThrows(KeeperException.NoAuthException.class, () -> other.setData(zk.serverPath(dir), new byte[0], -1));
                // A node named to sort ahead of every holder: refused before it exists.
                assertThrows(KeeperException.NoAuthException.class, () -> other.create(
                        zk.serverPath(dir + "/lock_0123456789abcdef0123456789abcdef_-000000001"), new byte[0],
                        ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL));
            }
        }
        assertEquals(List.of(holderNode), zk.children(dir));
    }

    @Test
    void anotherTenantCannotTakeBreakOrReadALock(ZkTestContext zk) throws Exception {
        String path = "/locks/tenant-a";
        try (LockHandle held = new ZkLock(tenantA(zk), path).acquire()) {
            ZkLock theirs = new ZkLock(tenantB(zk), path);
            denied(path, () -> theirs.tryAcquire(Duration.ofSeconds(5)));
            denied(path, theirs::acquire);
            denied(path, theirs::holder);
            ZkLock anonymous = new ZkLock(zk.session(), path);
            denied(path, () -> anonymous.tryAcquire(Duration.ZERO));
            rawAttacksFail(zk, path, zk.children(path).get(0));
            ZkLock ops = new ZkLock(zk.session(b -> b.digest("ops", "pw-ops").secure()), path);
            assertEquals(held.fence(), ops.holder().orElseThrow().fence(), "a reader sees the holder");
            denied(path, () -> ops.tryAcquire(Duration.ZERO));
            assertEquals(1, zk.children(path).size());
        }
        zk.awaitNoChildren(path);
    }

    @Test
    void anotherTenantCannotTakeOrBreakAReadWriteLock(ZkTestContext zk) throws Exception {
        String path = "/rw/tenant-a";
        ZkReadWriteLock mine = new ZkReadWriteLock(tenantA(zk), path);
        try (LockHandle read = mine.acquireRead()) {
            ZkReadWriteLock theirs = new ZkReadWriteLock(tenantB(zk), path);
            denied(path, () -> theirs.tryAcquireRead(Duration.ZERO));
            denied(path, () -> theirs.tryAcquireWrite(Duration.ofSeconds(5)));
            denied(path, theirs::holders);
            rawAttacksFail(zk, path, zk.children(path).get(0));
        }
        try (LockHandle write = mine.acquireWrite()) {
            denied(path, () -> new ZkReadWriteLock(zk.session(), path).tryAcquireRead(Duration.ZERO));
            rawAttacksFail(zk, path, zk.children(path).get(0));
        }
        zk.awaitNoChildren(path);
    }

    @Test
    void anotherTenantCannotTakeLeasesOrChangeTheCountOfASemaphore(ZkTestContext zk) throws Exception {
        String path = "/semaphores/tenant-a";
        ZkSemaphore mine = new ZkSemaphore(tenantA(zk), path, 2);
        try (Lease lease = mine.acquire()) {
            ZkSemaphore theirs = new ZkSemaphore(tenantB(zk), path, 2);
            denied(path, () -> theirs.tryAcquire(Duration.ZERO));
            denied(path, theirs::permits);
            denied(path, () -> theirs.setPermits(50));
            denied(path, () -> new ZkSemaphore(zk.session(), path, 2).tryAcquire(Duration.ofSeconds(5)));
            rawAttacksFail(zk, path, zk.children(path).get(0));
            assertEquals(2, mine.permits());
        }
        zk.awaitNoChildren(path);
    }

    @Test
    void secureModeWithoutCredentialsSaysWhatIsMissing(ZkTestContext zk) {
        ZkLock lock = new ZkLock(zk.session(ZkSession.Builder::secure), "/locks/nobody");
        AccessDeniedException e = assertThrows(AccessDeniedException.class, () -> lock.tryAcquire(Duration.ZERO));
        assertTrue(e.getMessage().contains("authenticated"), e.getMessage());
        ZkSemaphore sem = new ZkSemaphore(zk.session(ZkSession.Builder::secure), "/semaphores/nobody", 1);
        e = assertThrows(AccessDeniedException.class, () -> sem.tryAcquire(Duration.ZERO));
        assertTrue(e.getMessage().contains("authenticated"), e.getMessage());
    }
}
