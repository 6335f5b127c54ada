package io.github.zkrecipes.samples.bench;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/**
 * The ensemble's own limit, with a bare ZooKeeper client and no recipe: what every recipe's
 * figure is compared to. A lock cycle needs at least a create and a delete, so {@link
 * #createDeleteCycles} bounds an uncontended lock from above.
 */
public final class RawZooKeeper {
    private RawZooKeeper() {}

    /** Synchronous create (ephemeral) then delete of one node, in a loop, from one client. */
    public static Result createDeleteCycles(String connectString, Duration duration) throws Exception {
        try (ZooKeeper zk = connect(connectString)) {
            String base = "/bench-raw-" + System.nanoTime();
            zk.create(base, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            long warmupEnd = System.nanoTime() + Math.min(duration.toNanos() / 5, TimeUnit.SECONDS.toNanos(1));
            long end = warmupEnd + duration.toNanos();
            long[] lat = new long[1 << 16];
            int n = 0;
            long now;
            while ((now = System.nanoTime()) - end < 0) {
                zk.create(base + "/n", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
                zk.delete(base + "/n", -1);
                long t1 = System.nanoTime();
                if (now - warmupEnd >= 0 && t1 - end < 0) {
                    if (n == lat.length) {
                        lat = java.util.Arrays.copyOf(lat, n * 2);
                    }
                    lat[n++] = t1 - now;
                }
            }
            zk.delete(base, -1);
            return new Result(n, duration.toNanos() / 1e9, java.util.Arrays.copyOf(lat, n));
        }
    }

    /** Asynchronous creates of ephemeral nodes, up to {@code window} outstanding, from one client. */
    public static Result pipelinedCreates(String connectString, Duration duration, int window) throws Exception {
        try (ZooKeeper zk = connect(connectString)) {
            String base = "/bench-raw-async-" + System.nanoTime();
            // A container: the server removes it once its ephemeral children are gone with the session.
            zk.create(base, new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.CONTAINER);
            Semaphore outstanding = new Semaphore(window);
            AtomicLong done = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            long warmupEnd = System.nanoTime() + Math.min(duration.toNanos() / 5, TimeUnit.SECONDS.toNanos(1));
            long end = warmupEnd + duration.toNanos();
            long countedFrom = -1;
            while (System.nanoTime() - end < 0) {
                if (countedFrom < 0 && System.nanoTime() - warmupEnd >= 0) {
                    countedFrom = done.get();
                }
                outstanding.acquire();
                zk.create(base + "/n", new byte[0], ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL_SEQUENTIAL,
                        (rc, path, ctx, name) -> {
                            if (rc != KeeperException.Code.OK.intValue()) {
                                failed.incrementAndGet();
                            }
                            done.incrementAndGet();
                            outstanding.release();
                        }, null);
            }
            long counted = done.get() - Math.max(countedFrom, 0);
            outstanding.acquire(window); // drain
            if (failed.get() > 0) {
                throw new IllegalStateException(failed.get() + " pipelined creates failed");
            }
            return new Result(counted, duration.toNanos() / 1e9, new long[0]);
        }
    }

    static ZooKeeper connect(String connectString) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, 30_000, e -> {
            if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(30, TimeUnit.SECONDS)) {
            zk.close();
            throw new IllegalStateException("could not connect to " + connectString + " within 30 s");
        }
        return zk;
    }
}
