package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ReplyDroppingServerCnxnFactory;
import io.github.zkrecipes.testing.TestTimeouts;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** "Create applied, reply lost" (FAULTS row 5) for member and barrier nodes. */
@ZkTest(dropCreateReplies = true)
class ReplyLostCreateGroupTest {
    private static final String GROUP = "/groups/workers";
    private static final String BARRIER = "/barriers/phase";

    @AfterEach
    void disarm() {
        ReplyDroppingServerCnxnFactory.reset();
    }

    @Test
    void aJoinWhoseCreateReplyIsLostIsOneMemberNotItsOwnDuplicate(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        ZkGroup group = new ZkGroup(session, GROUP);
        group.join("warm", "x").close(); // the directory exists: the next create is the member's own
        try (GroupView view = new ZkGroup(zk.session(), GROUP).view()) {
            GroupViewTest.Recorder r = new GroupViewTest.Recorder();
            view.addListener(r);
            ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(GROUP + "/"), 1);
            try (Membership m = group.join("w1", "data")) {
                assertEquals(1, ReplyDroppingServerCnxnFactory.droppedCount(), "the fault bit");
                assertEquals(List.of(m.node().substring(GROUP.length() + 1)), ZkGroupTest.memberNodes(zk));
                assertTrue(view.awaitSize(1, TestTimeouts.patience()));
                Await.until("the join reported", () -> r.events.size() == 1);
                assertEquals(List.of("joined w1=data"), r.events);
                m.update("more");
                Await.until("the update reported", () -> r.events.size() == 2);
            }
            assertTrue(view.awaitSize(0, TestTimeouts.patience()));
        }
    }

    @Test
    void aBarrierEntrantWhoseCreateReplyIsLostCountsOnce(ZkTestContext zk) throws Exception {
        ZkDoubleBarrier a = new ZkDoubleBarrier(zk.session(), BARRIER, 2);
        ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), BARRIER, 2);
        Worker<Boolean> enterA = Worker.start("a", () -> a.enter(TestTimeouts.patience()));
        Await.until("a waiting", () -> ZkDoubleBarrierTest.childCount(zk) == 1 && zk.serverWatchCount() == 1);
        ReplyDroppingServerCnxnFactory.dropNextCreateReplies(zk.serverPath(BARRIER + "/"), 1);
        assertTrue(b.enter(TestTimeouts.patience()));
        assertTrue(enterA.result());
        assertEquals(1, ReplyDroppingServerCnxnFactory.droppedCount(), "the fault bit");
        assertEquals(2, zk.children(BARRIER).size(), "one node per participant");
        Worker<Boolean> leaveA = Worker.start("a-leave", () -> a.leave(TestTimeouts.patience()));
        assertTrue(b.leave(TestTimeouts.patience()));
        assertTrue(leaveA.result());
        assertEquals(List.of(), zk.children(BARRIER));
    }
}
