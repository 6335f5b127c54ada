package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.github.zkrecipes.Participant;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.Set;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.ZooDefs;
import org.junit.jupiter.api.Test;

/** Foreign nodes with valid-looking names in a group's or a barrier's directory: ignored, never counted. */
@ZkTest
class GroupsHostileStateTest {
    private static final String ID = "0123456789abcdef0123456789abcdef";

    @Test
    void aPersistentMemberNodeIsNotAMember(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        String path = "/groups/hostile";
        s.curator().create().creatingParentContainersIfNeeded().forPath(path + "/member_" + ID + "_-000000001",
                MemberData.encode("ghost", new byte[0]));
        try (Membership m = new ZkGroup(s, path).join("w1", "x")) {
            assertEquals(Set.of("w1"), new ZkGroup(zk.session(), path).members().keySet());
        }
        zk.admin().delete(zk.serverPath(path + "/member_" + ID + "_-000000001"), -1);
    }

    @Test
    void aPersistentOrForeignBarrierNodeDoesNotLetAnEntrantThrough(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        String path = "/barriers/hostile";
        s.curator().create().creatingParentContainersIfNeeded().forPath(path + "/barrier_" + ID + "_-000000001",
                Participant.current(s).encode());
        ZkDoubleBarrier b = new ZkDoubleBarrier(s, path, 2);
        assertFalse(b.enter(Duration.ofMillis(500)), "a persistent node counted as the second party");
        zk.admin().delete(zk.serverPath(path + "/barrier_" + ID + "_-000000001"), -1);
        zk.awaitNoChildren(path);
    }

    @Test
    void realPartiesPassAndLeaveAroundAPersistentBarrierNode(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        String path = "/barriers/hostile-round";
        s.curator().create().creatingParentContainersIfNeeded().forPath(path + "/barrier_" + ID + "_-000000001",
                Participant.current(s).encode());
        ZkDoubleBarrier a = new ZkDoubleBarrier(s, path, 2);
        ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), path, 2);
        io.github.zkrecipes.testing.Worker<Boolean> other = io.github.zkrecipes.testing.Worker.start("party-b", () -> {
            boolean in = b.enter(Duration.ofSeconds(20));
            return in && b.leave(Duration.ofSeconds(20));
        });
        org.junit.jupiter.api.Assertions.assertTrue(a.enter(Duration.ofSeconds(20)), "two real parties pass");
        org.junit.jupiter.api.Assertions.assertTrue(a.leave(Duration.ofSeconds(20)), "leave does not wait for the fake");
        org.junit.jupiter.api.Assertions.assertTrue(other.result());
        zk.admin().delete(zk.serverPath(path + "/barrier_" + ID + "_-000000001"), -1);
        zk.awaitNoChildren(path);
    }
}
