package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Opt-in comparison with Curator on one embedded server, both in the same run: {@code mvn -pl
 * groups verify -Dtest=GroupsBenchmarkTest -Dzkr.bench=true}. Prints the numbers; asserts only
 * that everything completed. Curator's {@code GroupMember} has no change listener (CURATOR-314),
 * so "seen" for Curator is measured with a {@code CuratorCache} on the group path, which is what
 * {@code GroupMember} reads from internally.
 */
@ZkTest
@EnabledIfSystemProperty(named = "zkr.bench", matches = "true")
class GroupsBenchmarkTest {
    private static final int PARTIES = 5;
    private static final int ROUNDS = 40;
    private static final int JOINS = 40;
    private static final long WAIT_S = 30;

    @Test
    void doubleBarrierRoundsPerSecond(ZkTestContext zk) throws Exception {
        List<ZkSession> sessions = new ArrayList<>();
        for (int i = 0; i < PARTIES; i++) {
            sessions.add(zk.session());
        }
        ExecutorService pool = Executors.newFixedThreadPool(PARTIES);
        try {
            double ours = rounds(pool, i -> {
                ZkDoubleBarrier b = new ZkDoubleBarrier(sessions.get(i), "/bench/ours", PARTIES);
                return () -> {
                    assertTrue(b.enter(Duration.ofSeconds(WAIT_S)));
                    assertTrue(b.leave(Duration.ofSeconds(WAIT_S)));
                };
            });
            // Curator's barrier hangs when one path is reused round after round (seen here: all but one
            // participant stuck in enter), so each Curator round gets a fresh path.
            double curator = rounds(pool, i -> {
                int[] round = {0};
                return () -> {
                    DistributedDoubleBarrier b = new DistributedDoubleBarrier(sessions.get(i).curator(),
                            "/bench/curator-" + round[0]++, PARTIES);
                    assertTrue(b.enter(WAIT_S, TimeUnit.SECONDS));
                    assertTrue(b.leave(WAIT_S, TimeUnit.SECONDS));
                };
            });
            System.out.printf("BENCH double barrier, %d parties, %d rounds: zk-recipes %.1f rounds/s, Curator %.1f rounds/s,"
                    + " ratio %.2f%n", PARTIES, ROUNDS, ours, curator, ours / curator);
        } finally {
            pool.shutdownNow();
            sessions.forEach(ZkSession::close); // Curator's barrier may leave watches behind
        }
    }

    interface Round {
        void run() throws Exception;
    }

    interface Participant {
        Round make(int index) throws Exception;
    }

    private static double rounds(ExecutorService pool, Participant participant) throws Exception {
        List<Round> rounds = new ArrayList<>();
        for (int i = 0; i < PARTIES; i++) {
            rounds.add(participant.make(i));
        }
        int warmup = 3;
        CyclicBarrier start = new CyclicBarrier(PARTIES + 1);
        AtomicReference<Long> t0 = new AtomicReference<>();
        List<Future<?>> fs = new ArrayList<>();
        for (Round r : rounds) {
            fs.add(pool.submit(() -> {
                for (int k = 0; k < warmup; k++) {
                    r.run();
                }
                start.await();
                for (int k = 0; k < ROUNDS; k++) {
                    r.run();
                }
                return null;
            }));
        }
        start.await();
        t0.set(System.nanoTime());
        for (Future<?> f : fs) {
            f.get(5, TimeUnit.MINUTES);
        }
        return ROUNDS / ((System.nanoTime() - t0.get()) / 1e9);
    }

    @Test
    void joinSeenByAllOtherMembers(ZkTestContext zk) throws Exception {
        ZkSession joiner = zk.session();
        List<ZkSession> observers = new ArrayList<>();
        for (int i = 0; i < PARTIES; i++) {
            observers.add(zk.session());
        }
        // zk-recipes: each observer is a member with a GroupView
        long[] ours = new long[JOINS];
        {
            List<Membership> members = new ArrayList<>();
            List<GroupView> views = new ArrayList<>();
            AtomicReference<CountDownLatch> seen = new AtomicReference<>();
            for (int i = 0; i < PARTIES; i++) {
                ZkGroup g = new ZkGroup(observers.get(i), "/bench/ours");
                members.add(g.join("observer-" + i, "x"));
                GroupView v = g.view();
                v.addListener(new GroupListener() {
                    @Override
                    public void joined(Member m) {
                        CountDownLatch l = seen.get();
                        if (l != null && m.id().startsWith("joiner")) {
                            l.countDown();
                        }
                    }
                });
                views.add(v);
            }
            ZkGroup g = new ZkGroup(joiner, "/bench/ours");
            for (int k = -3; k < JOINS; k++) {
                CountDownLatch l = new CountDownLatch(PARTIES);
                seen.set(l);
                long t = System.nanoTime();
                Membership m = g.join("joiner-" + k, "x");
                assertTrue(l.await(WAIT_S, TimeUnit.SECONDS));
                if (k >= 0) {
                    ours[k] = System.nanoTime() - t;
                }
                seen.set(null);
                m.close();
            }
            views.forEach(GroupView::close);
            members.forEach(Membership::close);
        }
        // Curator: GroupMember to join, CuratorCache (what GroupMember reads) to observe
        long[] curator = new long[JOINS];
        {
            List<GroupMember> members = new ArrayList<>();
            List<CuratorCache> caches = new ArrayList<>();
            AtomicReference<CountDownLatch> seen = new AtomicReference<>();
            for (int i = 0; i < PARTIES; i++) {
                GroupMember gm = new GroupMember(observers.get(i).curator(), "/bench/curator", "observer-" + i);
                gm.start();
                members.add(gm);
                CuratorCache cache = CuratorCache.build(observers.get(i).curator(), "/bench/curator");
                cache.listenable().addListener(CuratorCacheListener.builder().forCreates(node -> {
                    CountDownLatch l = seen.get();
                    if (l != null && node.getPath().contains("joiner")) {
                        l.countDown();
                    }
                }).build());
                cache.start();
                caches.add(cache);
            }
            for (int k = -3; k < JOINS; k++) {
                CountDownLatch l = new CountDownLatch(PARTIES);
                seen.set(l);
                long t = System.nanoTime();
                GroupMember m = new GroupMember(joiner.curator(), "/bench/curator", "joiner-" + k);
                m.start();
                assertTrue(l.await(WAIT_S, TimeUnit.SECONDS));
                if (k >= 0) {
                    curator[k] = System.nanoTime() - t;
                }
                seen.set(null);
                m.close();
            }
            caches.forEach(CuratorCache::close);
            members.forEach(GroupMember::close);
        }
        System.out.printf("BENCH join seen by all %d other members, %d joins: zk-recipes p50 %.2f ms (p90 %.2f),"
                + " Curator p50 %.2f ms (p90 %.2f)%n", PARTIES, JOINS, pct(ours, 50), pct(ours, 90), pct(curator, 50),
                pct(curator, 90));
        joiner.close();
        observers.forEach(ZkSession::close);
    }

    private static double pct(long[] nanos, int p) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, s.length * p / 100)] / 1e6;
    }
}
