package io.github.zkrecipes.it.bench;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.ZkElection;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.junit.jupiter.api.Test;

/**
 * Failover after the leader closes, against Curator's {@code LeaderLatch} in the same run, on the
 * same server and sessions: from the leader's {@code close()} to the next candidate learning that
 * it leads. A measurement, printed with the same-run ratio; nothing about speed is asserted (the
 * 0.7x target is judged from the printed figures). {@code -Dzkr.bench=full} runs 101 rounds.
 */
@ZkTest
class ElectionFailoverBenchIT {
    private static final int ROUNDS = "full".equals(System.getProperty("zkr.bench")) ? 101 : 9;

    @Test
    void failoverAfterTheLeaderClosesIsMeasuredAgainstCuratorsLeaderLatch(ZkTestContext zk) throws Exception {
        ZkSession sa = zk.session();
        ZkSession sb = zk.session();
        List<Long> ours = new ArrayList<>();
        List<Long> curator = new ArrayList<>();
        for (int i = 0; i < ROUNDS; i++) {
            ours.add(ours(zk, sa, sb));
            curator.add(curator(zk, sa, sb));
        }
        long p50Ours = p50(ours);
        long p50Curator = p50(curator);
        System.out.printf("election failover after the leader closes, over %d rounds: zk-recipes p50 %d us p99 %d us;"
                + " Curator LeaderLatch p50 %d us p99 %d us; ratio of p50s %.2f (target <= 0.7)%n", ROUNDS,
                p50Ours / 1000, quantile(ours, 0.99) / 1000, p50Curator / 1000, quantile(curator, 0.99) / 1000,
                (double) p50Ours / p50Curator);
    }

    private static long ours(ZkTestContext zk, ZkSession sa, ZkSession sb) throws Exception {
        Candidacy a = new ZkElection(sa, "/ours").join();
        a.awaitLeadership();
        Candidacy b = new ZkElection(sb, "/ours").candidacy();
        CompletableFuture<Long> gained = new CompletableFuture<>();
        b.addListener(e -> {
            if (e.gainedLeadership()) {
                gained.complete(System.nanoTime());
            }
        });
        b.start();
        Await.until("b to watch a", () -> zk.serverWatchCount() == 1);
        long t0 = System.nanoTime();
        a.close();
        long t1 = Await.result("b to lead", gained);
        b.close();
        return t1 - t0;
    }

    private static long curator(ZkTestContext zk, ZkSession sa, ZkSession sb) throws Exception {
        LeaderLatch a = new LeaderLatch(sa.curator(), "/curator");
        a.start();
        a.await();
        LeaderLatch b = new LeaderLatch(sb.curator(), "/curator");
        CompletableFuture<Long> gained = new CompletableFuture<>();
        b.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                gained.complete(System.nanoTime());
            }

            @Override
            public void notLeader() {
            }
        });
        b.start();
        Await.until("b to watch a", () -> zk.serverWatchCount() == 1);
        long t0 = System.nanoTime();
        a.close();
        long t1 = Await.result("b to lead", gained);
        b.close();
        Await.until("curator's nodes to go", () -> {
            try {
                return zk.children("/curator").isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        return t1 - t0;
    }

    private static long p50(List<Long> xs) {
        return quantile(xs, 0.5);
    }

    private static long quantile(List<Long> xs, double q) {
        List<Long> sorted = new ArrayList<>(xs);
        Collections.sort(sorted);
        return sorted.get((int) Math.min(sorted.size() - 1, Math.ceil(q * sorted.size()) - 1));
    }
}
