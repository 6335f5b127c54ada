package io.github.zkrecipes.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
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
 * and many locks held by one session. Prints figures; asserts only what is a property, not a
 * speed: one wakeup per handover whatever the number of waiters. The smoke run in {@code mvn
 * verify} uses fewer waiters and locks; {@code -Dzkr.bench=full} runs 1, 8, 32, 128 waiters and
 * 10,000 locks.
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

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
