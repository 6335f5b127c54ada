package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static io.github.zkrecipes.testing.Tenants.tenantA;
import static io.github.zkrecipes.testing.Tenants.tenantB;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.CoordinationException;
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
 * Tenant isolation of group membership, the double barrier and group config in secure mode:
 * another tenant or an anonymous client cannot join, enter, read member data, delete or change a
 * member's node, or change the config; a reader sees members.
 */
@ZkTest
class GroupsIsolationTest {

    @BeforeEach
    void adminIsTenantA(ZkTestContext zk) {
        Tenants.adminIsTenantA(zk);
    }

    private static void denied(String path, Executable call) {
        AccessDeniedException e = assertThrows(AccessDeniedException.class, call);
        assertTrue(e.path().startsWith(path), e.getMessage());
    }

    private static ZooKeeper raw(ZkTestContext zk, String user) throws Exception {
        CountDownLatch up = new CountDownLatch(1);
        ZooKeeper z = new ZooKeeper(zk.connectString(), 10_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                up.countDown();
            }
        });
        Await.latch("a raw client", up);
        if (user != null) {
            z.addAuthInfo("digest", (user + ":pw-b").getBytes(StandardCharsets.UTF_8));
        }
        return z;
    }

    @Test
    void anotherTenantCannotJoinReadOrBreakAGroup(ZkTestContext zk) throws Exception {
        String path = "/groups/tenant-a";
        try (Membership m = new ZkGroup(tenantA(zk), path).join("w1", "secret-endpoint")) {
            ZkGroup theirs = new ZkGroup(tenantB(zk), path);
            denied(path, () -> theirs.join("w2", "x"));
            denied(path, () -> theirs.join("w1", "impostor"));
            denied(path, theirs::members);
            denied(path, () -> new ZkGroup(zk.session(), path).join("w3", "x"));
            List<String> before = zk.children(path);
            for (String user : new String[] {"tenant-b", null}) {
                try (ZooKeeper other = raw(zk, user)) {
                    String node = zk.serverPath(m.group().path() + "/" + m.node().substring(m.node().lastIndexOf('/') + 1));
                    assertThrows(KeeperException.NoAuthException.class, () -> other.getData(node, false, null));
                    assertThrows(KeeperException.NoAuthException.class, () -> other.setData(node, new byte[0], -1));
                    assertThrows(KeeperException.NoAuthException.class, () -> other.delete(node, -1));
                    assertThrows(KeeperException.NoAuthException.class, () -> other.create(
                            zk.serverPath(path + "/member_0123456789abcdef0123456789abcdef_-000000001"), new byte[0],
                            ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL));
                }
            }
            assertEquals(before, zk.children(path));
            ZkGroup ops = new ZkGroup(zk.session(b -> b.digest("ops", "pw-ops").secure()), path);
            assertEquals("secret-endpoint", ops.members().get("w1").dataAsString(), "a reader sees member data");
            denied(path, () -> ops.join("w9", "x"));
        }
        zk.awaitNoChildren("/groups/tenant-a");
    }

    @Test
    void anotherTenantCannotEnterOrUnblockABarrier(ZkTestContext zk) throws Exception {
        String path = "/barriers/tenant-a";
        ZkDoubleBarrier mine = new ZkDoubleBarrier(tenantA(zk), path, 2);
        assertEquals(false, mine.enter(Duration.ZERO));
        denied(path, () -> new ZkDoubleBarrier(tenantB(zk), path, 2).enter(Duration.ofSeconds(5)));
        denied(path, () -> new ZkDoubleBarrier(zk.session(), path, 2).enter(Duration.ZERO));
        zk.awaitNoChildren(path);
    }

    @Test
    void anotherTenantCannotReadOrChangeTheConfig(ZkTestContext zk) throws Exception {
        String path = "/config/tenant-a";
        GroupConfig<String> mine = GroupConfig.strings(tenantA(zk), path);
        mine.set("v1");
        GroupConfig<String> theirs = GroupConfig.strings(tenantB(zk), path);
        for (Executable call : List.<Executable>of(theirs::read, () -> theirs.set("v2"),
                () -> theirs.compareAndSet(0, "v2"), theirs::delete)) {
            AccessDeniedException e = assertThrows(AccessDeniedException.class, call);
            assertEquals(path, e.path(), e.getMessage());
        }
        assertEquals("v1", mine.read().value());
        assertTrue(mine.delete());
    }
}
