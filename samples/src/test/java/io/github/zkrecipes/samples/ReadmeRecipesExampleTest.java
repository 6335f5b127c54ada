package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.ElectedTask;
import io.github.zkrecipes.election.Leadership;
import io.github.zkrecipes.election.ZkElection;
import io.github.zkrecipes.groups.GroupListener;
import io.github.zkrecipes.groups.GroupView;
import io.github.zkrecipes.groups.Member;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import io.github.zkrecipes.groups.ZkGroup;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The README's election and groups example, compiled and run against an embedded server. */
@ZkTest
class ReadmeRecipesExampleTest {
    private static final Logger log = LoggerFactory.getLogger(ReadmeRecipesExampleTest.class);
    private final AtomicInteger compactions = new AtomicInteger();

    private void compactOnce(long epoch) {
        compactions.incrementAndGet();
        Thread.onSpinWait();
    }

    @Test
    void readmeElectionAndGroupsExampleRuns(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        session.curator().create().creatingParentsIfNeeded().forPath("/compactor/owner", new byte[0]);
        // Two more workers and two more barrier parties, so that the example's waits complete.
        ZkGroup others = new ZkGroup(zk.session(), "/groups/workers");
        Membership w1 = others.join("worker-1", "shard=1");
        Membership w2 = new ZkGroup(zk.session(), "/groups/workers").join("worker-2", "shard=2");
        List<Worker<Boolean>> parties = List.of(party(zk), party(zk));
        List<String> joinedSeen = new CopyOnWriteArrayList<>();

        // --- README example starts
        ZkElection election = new ZkElection(session, "/elections/compactor");
        try (Candidacy me = election.join()) {                         // latch style
            Leadership term = me.awaitLeadership();                     // or awaitLeadership(Duration)
            term.guarded(session.curator().transactionOp()              // rejected once deposed
                    .setData().forPath("/compactor/owner", term.toString().getBytes()));
        }
        try (ElectedTask task = election.task(ctx -> {                  // callback style
                while (!ctx.isCancelled()) { compactOnce(ctx.epoch()); } // interrupted and cancelled on loss
            }).start()) {
            io.github.zkrecipes.testing.Await.until("the task to run", () -> compactions.get() > 0);
        }

        ZkGroup workers = new ZkGroup(session, "/groups/workers");
        try (Membership me = workers.join("worker-7", "shard=3");       // unique id, re-joins after expiry
             GroupView view = workers.view()) {                         // live: one persistent watch
            view.addListener(new GroupListener() {
                @Override public void joined(Member m) { log.info("joined {}", m.id()); joinedSeen.add(m.id()); }
            });
            assertTrue(view.awaitSize(3, Duration.ofSeconds(30)));
        }

        ZkDoubleBarrier phase = new ZkDoubleBarrier(session, "/barriers/phase", 3);
        if (phase.enter(Duration.ofSeconds(30))) { /* all 3 are in */ phase.leave(Duration.ofSeconds(30)); }
        // --- README example ends

        assertTrue(compactions.get() > 0);
        assertEquals(3, joinedSeen.size(), joinedSeen.toString());
        for (Worker<Boolean> p : parties) {
            assertTrue(p.result());
        }
        w1.close();
        w2.close();
        session.curator().delete().deletingChildrenIfNeeded().forPath("/compactor");
    }

    private static Worker<Boolean> party(ZkTestContext zk) {
        ZkDoubleBarrier b = new ZkDoubleBarrier(zk.session(), "/barriers/phase", 3);
        return Worker.start("party", () -> b.enter(Duration.ofSeconds(30)) && b.leave(Duration.ofSeconds(30)));
    }
}
