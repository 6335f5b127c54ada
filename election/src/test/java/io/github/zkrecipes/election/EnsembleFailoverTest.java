package io.github.zkrecipes.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@ZkTest(servers = 3)
class EnsembleFailoverTest {
    static final String PATH = "/elections/ensemble";

    @Test
    void killingTheServerOfTheLeaderNeverShowsTwoLeadersAndLeadershipResumes(ZkTestContext zk) throws Exception {
        List<ZkSession> sessions = new ArrayList<>();
        List<Candidacy> candidates = new ArrayList<>();
        List<Long> observed = new CopyOnWriteArrayList<>();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        int killed = -1;
        Thread sampler = null;
        try {
            for (int i = 0; i < 3; i++) {
                ZkSession s = zk.session();
                sessions.add(s);
                candidates.add(new ZkElection(s, PATH).join());
                if (i == 0) {
                    candidates.get(0).awaitLeadership();
                }
            }
            Await.until("3 candidates", () -> count(zk) == 3);
            ZkSession observerSession = zk.session();
            var observation = new ZkElection(observerSession, PATH).observe(l -> observed.add(l.map(Leader::epoch).orElse(0L)));
            sampler = new Thread(() -> {
                while (sampling.get()) {
                    long leaders = candidates.stream().filter(Candidacy::isLeader).count();
                    if (leaders > 1) {
                        overlaps.incrementAndGet();
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // sampling period, not a wait for anything
                }
            }, "leader-sampler");
            sampler.start();
            long firstEpoch = candidates.get(0).epoch().orElseThrow();

            killed = zk.server().serverOf(sessions.get(0).zookeeper());
            assertTrue(killed >= 0);
            zk.server().stop(killed);

            Await.until("a leader again", () -> candidates.stream().anyMatch(Candidacy::isLeader));
            Candidacy leader = candidates.stream().filter(Candidacy::isLeader).findFirst().orElseThrow();
            long epoch = leader.epoch().orElseThrow();
            assertTrue(epoch >= firstEpoch);
            leader.leadership().orElseThrow().guarded(leader.election().session().curator().transactionOp()
                    .check().forPath(PATH));
            Await.until("the observer to agree", () -> !observed.isEmpty() && observed.get(observed.size() - 1) == epoch);
            for (int i = 1; i < observed.size(); i++) {
                assertTrue(observed.get(i) > observed.get(i - 1), "observed epochs go back: " + observed);
            }
            // The admin client may itself be failing over from the killed server: wait for an answer.
            int nodes = Await.value("the node count", () -> {
                int c = count(zk);
                return c < 0 ? null : c;
            });
            assertEquals(3, nodes, "one node per candidate");
            observation.close();
        } finally {
            sampling.set(false);
            if (sampler != null) {
                sampler.join();
            }
            candidates.forEach(Candidacy::close);
            if (killed >= 0) {
                zk.server().restart(killed);
            }
        }
        assertEquals(0, overlaps.get(), "two candidates believed they led at once");
    }

    static int count(ZkTestContext zk) {
        try {
            return zk.children(PATH).size();
        } catch (Exception e) {
            return -1;
        }
    }
}
