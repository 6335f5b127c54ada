package io.github.zkrecipes.it.bench;

import io.github.zkrecipes.samples.bench.RecipeClient;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.ExponentialBackoffRetry;

/** {@link RecipeClient} for Curator's recipes, the thing we compare against: one CuratorFramework. */
public final class CuratorClient implements RecipeClient {
    public static final Factory FACTORY = new Factory() {
        @Override
        public String name() {
            return "curator";
        }

        @Override
        public RecipeClient connect(String connectString) throws Exception {
            CuratorFramework c = CuratorFrameworkFactory.builder()
                    .connectString(connectString)
                    .sessionTimeoutMs(30_000)
                    .connectionTimeoutMs(15_000)
                    .retryPolicy(new ExponentialBackoffRetry(100, 3))
                    .build();
            c.start();
            if (!c.blockUntilConnected(30, TimeUnit.SECONDS)) {
                c.close();
                throw new IllegalStateException("curator could not connect to " + connectString);
            }
            return new CuratorClient(c);
        }
    };

    private final CuratorFramework client;

    private CuratorClient(CuratorFramework client) {
        this.client = client;
    }

    @Override
    public Mutex lock(String path) {
        return of(new InterProcessMutex(client, path));
    }

    @Override
    public ReadWrite readWrite(String path) {
        InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, path);
        return new ReadWrite() {
            @Override
            public Mutex read() {
                return of(rw.readLock());
            }

            @Override
            public Mutex write() {
                return of(rw.writeLock());
            }
        };
    }

    @Override
    public Mutex semaphore(String path, int permits) {
        InterProcessSemaphoreV2 sem = new InterProcessSemaphoreV2(client, path, permits);
        return new Mutex() {
            private Lease lease;

            @Override
            public void acquire() throws Exception {
                lease = sem.acquire();
            }

            @Override
            public void release() throws Exception {
                sem.returnLease(lease);
            }
        };
    }

    /** How long a barrier call may take before the benchmark calls it stuck (a round takes milliseconds). */
    private static final java.time.Duration STUCK = java.time.Duration.ofSeconds(10);

    /**
     * Curator's barrier hangs when one path serves round after round (a participant of the next
     * round can find the previous round's state): each round gets a path of its own, as a Curator
     * user has to do. The parties go through rounds in lockstep, so they agree on it.
     */
    @Override
    public Barrier doubleBarrier(String path, int parties) {
        return new Barrier() {
            private int round;
            private DistributedDoubleBarrier b;

            @Override
            public void enter() throws Exception {
                b = new DistributedDoubleBarrier(client, path + "/r" + round++, parties);
                if (!b.enter(STUCK.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("Curator's DistributedDoubleBarrier.enter did not pass in " + STUCK
                            + " with all " + parties + " parties running (seen here: the others had passed and waited in leave)");
                }
            }

            @Override
            public void leave() throws Exception {
                if (!b.leave(STUCK.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("Curator's DistributedDoubleBarrier.leave did not pass in " + STUCK
                            + " with all " + parties + " parties running");
                }
            }
        };
    }

    /**
     * Curator's {@code GroupMember} has no change events (CURATOR-314): a member sees the group by
     * polling {@code getCurrentMembers()}, which reads its internal cache (no round trip).
     */
    @Override
    public Member join(String path, String id) {
        GroupMember m = new GroupMember(client, path, id, new byte[0]);
        m.start();
        return new Member() {
            @Override
            public void awaitSeen(String member, boolean present) {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (m.getCurrentMembers().containsKey(member) != present) {
                    if (System.nanoTime() - deadline > 0) {
                        throw new IllegalStateException("member " + member + (present ? " never seen" : " never gone"));
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000); // polling: Curator offers no event
                }
            }

            @Override
            public void close() {
                m.close();
            }
        };
    }

    private static Mutex of(InterProcessMutex m) {
        return new Mutex() {
            @Override
            public void acquire() throws Exception {
                m.acquire();
            }

            @Override
            public void release() throws Exception {
                m.release();
            }
        };
    }

    @Override
    public void close() {
        client.close();
    }
}
