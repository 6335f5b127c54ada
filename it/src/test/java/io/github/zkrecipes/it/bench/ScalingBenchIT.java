package io.github.zkrecipes.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import io.github.zkrecipes.groups.GroupView;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.ZkGroup;
import io.github.zkrecipes.internal.queue.QueueMetrics;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.samples.bench.Result;
import io.github.zkrecipes.samples.bench.Scenario;
import io.github.zkrecipes.samples.bench.ZkRecipesClient;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * How zk-recipes scales (see docs/PERFORMANCE.md): a contended lock with more and more waiters,
 * many locks held by one session, and live group views of growing groups. Prints figures; asserts only what is a property, not a
 * speed: one wakeup per handover whatever the number of waiters. The smoke run in {@code mvn
 * verify} uses fewer waiters, locks and members; {@code -Dzkr.bench=full} runs 1, 8, 32, 128
 * waiters, 10,000 locks and groups of 10, 100 and 1000 members.
 */
class ScalingBenchIT {
    private static final boolean FULL = "full".equals(System.getProperty("zkr.bench"));

    @Test
    void aContendedLockWakesOneWaiterPerReleaseWhateverTheNumberOfWaiters() throws Exception {
        int[] sizes = FULL ? new int[] {1, 8, 32, 128} : new int[] {1, 8, 32};
        Duration duration = Duration.ofMillis(FULL ? 3000 : 600);
        System.out.println("Scaling: one lock, n clients contending (each its own session and thread)");
        System.out.printf("%8s %10s %9s %9s %18s %18s%n", "clients", "ops/s", "p50 ms", "p99 ms", "wakeups/acquire",
                "listings/acquire");
        for (int n : sizes) {
            try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
                QueueMetrics.Snapshot before = QueueMetrics.snapshot();
                Result r = Scenario.lockContended(n).run(ZkRecipesClient.FACTORY, zk.connectString(), duration);
                QueueMetrics.Snapshot cost = QueueMetrics.snapshot().minus(before);
                // Counted over warm-up and measured window alike: per create (one per acquire).
                double wakeups = (double) cost.wakeups() / cost.creates();
                double listings = (double) cost.listings() / cost.creates();
                System.out.printf("%8d %10.0f %9.2f %9.2f %18.2f %18.2f%n", n, r.perSecond(), r.p50Millis(),
                        r.p99Millis(), wakeups, listings);
                assertTrue(r.ops() > 0, "no progress with " + n + " clients");
                assertTrue(wakeups <= 1.05, n + " clients: " + wakeups + " wakeups per acquisition (herd?)");
            }
        }
    }

    @Test
    void manyLocksHeldByOneSession() throws Exception {
        int locks = FULL ? 10_000 : 1_000;
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
             ZkSession session = ZkSession.builder(zk.connectString()).connect()) {
            List<LockHandle> held = new ArrayList<>(locks);
            long heapBefore = usedHeapAfterGc();
            long t0 = System.nanoTime();
            for (int i = 0; i < locks; i++) {
                held.add(new ZkLock(session, "/many/l" + i).acquire());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long heapAfter = usedHeapAfterGc();
            System.out.printf("%d locks held by one session: acquired in %.1f s (%.0f/s), heap %.0f bytes per held lock%n",
                    locks, seconds, locks / seconds, (heapAfter - heapBefore) / (double) locks);
            for (LockHandle h : held) {
                assertTrue(h.isHeld());
                h.close();
            }
            assertEquals(locks, held.size());
        }
    }

    @Test
    void aGroupViewReadsOnlyTheChangedMemberWhateverTheGroupSize() throws Exception {
        int[] sizes = FULL ? new int[] {10, 100, 1000} : new int[] {10, 100};
        int changes = 10;
        System.out.println("Scaling: a live group view, ZooKeeper requests it sends per membership change");
        System.out.printf("%8s %16s %16s %16s %18s%n", "members", "reqs/join", "reqs/change", "reqs/leave",
                "p50 join seen ms");
        for (int size : sizes) {
            try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start();
                 ZkSession members = ZkSession.builder(zk.connectString()).connect();
                 ZkSession viewer = ZkSession.builder(zk.connectString()).connect()) {
                ZkGroup group = new ZkGroup(members, "/group");
                List<Membership> joined = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    joined.add(group.join("m" + i, "d"));
                }
                try (GroupView view = new ZkGroup(viewer, "/group").view()) {
                    assertTrue(view.awaitSize(size, Duration.ofSeconds(60)));
                    long[] seen = new long[changes];
                    long before = requestsOf(zk, viewer);
                    for (int i = 0; i < changes; i++) {
                        String id = "extra" + i;
                        long t0 = System.nanoTime();
                        joined.add(group.join(id, "x"));
                        assertTrue(view.await(m -> m.containsKey(id), Duration.ofSeconds(60)));
                        seen[i] = System.nanoTime() - t0;
                    }
                    double perJoin = (requestsOf(zk, viewer) - before) / (double) changes;
                    before = requestsOf(zk, viewer);
                    for (int i = 0; i < changes; i++) {
                        String id = "m" + i;
                        joined.get(i).update("changed");
                        assertTrue(view.await(m -> m.get(id).dataAsString().equals("changed"), Duration.ofSeconds(60)));
                    }
                    double perChange = (requestsOf(zk, viewer) - before) / (double) changes;
                    before = requestsOf(zk, viewer);
                    int target = view.size() - changes;
                    for (int i = 0; i < changes; i++) {
                        joined.get(size + i).close();
                    }
                    assertTrue(view.awaitSize(target, Duration.ofSeconds(60)));
                    double perLeave = (requestsOf(zk, viewer) - before) / (double) changes;
                    java.util.Arrays.sort(seen);
                    System.out.printf("%8d %16.2f %16.2f %16.2f %18.2f%n", size, perJoin, perChange, perLeave,
                            seen[changes / 2] / 1e6);
                    assertTrue(perJoin <= 1.5 && perChange <= 1.5 && perLeave <= 0.5,
                            size + " members: a change must cost the view O(1) reads");
                }
                joined.forEach(Membership::close);
            }
        }
    }

    /** The last request number the server saw from {@code session} ({@code cons}): its growth counts requests. */
    private static long requestsOf(EmbeddedZooKeeper zk, ZkSession session) throws Exception {
        String sid = "sid=0x" + Long.toHexString(session.sessionId());
        String out = org.apache.zookeeper.client.FourLetterWordMain.send4LetterWord("127.0.0.1", zk.port(0), "cons");
        for (String line : out.split("\n")) {
            if (line.contains(sid + ",") || line.contains(sid + ")")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("lcxid=0x([0-9a-f]+)").matcher(line);
                if (m.find()) {
                    return Long.parseLong(m.group(1), 16);
                }
            }
        }
        throw new AssertionError("no connection of " + sid + " in: " + out);
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
