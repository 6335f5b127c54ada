package io.github.zkrecipes.samples.bench;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.groups.GroupView;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import io.github.zkrecipes.groups.ZkGroup;
import java.time.Duration;
import io.github.zkrecipes.locks.Lease;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.locks.ZkReadWriteLock;
import io.github.zkrecipes.locks.ZkSemaphore;

/** {@link RecipeClient} for zk-recipes: one {@link ZkSession}. */
public final class ZkRecipesClient implements RecipeClient {
    /** The factory for reports and comparisons. */
    public static final Factory FACTORY = new Factory() {
        @Override
        public String name() {
            return "zk-recipes";
        }

        @Override
        public RecipeClient connect(String connectString) {
            return new ZkRecipesClient(ZkSession.builder(connectString).connect());
        }
    };

    /**
     * The factory for sessions that pipeline releases ({@code ZkSession.Builder.pipelinedRelease}):
     * a release is sent, not waited for.
     */
    public static final Factory PIPELINED = new Factory() {
        @Override
        public String name() {
            return "zk-pipelined";
        }

        @Override
        public RecipeClient connect(String connectString) {
            return new ZkRecipesClient(ZkSession.builder(connectString).pipelinedRelease(true).connect());
        }
    };

    private final ZkSession session;

    public ZkRecipesClient(ZkSession session) {
        this.session = session;
    }

    @Override
    public Mutex lock(String path) {
        ZkLock lock = new ZkLock(session, path);
        return new Mutex() {
            private LockHandle held;

            @Override
            public void acquire() throws InterruptedException {
                held = lock.acquire();
            }

            @Override
            public void release() {
                held.close();
            }
        };
    }

    @Override
    public ReadWrite readWrite(String path) {
        ZkReadWriteLock rw = new ZkReadWriteLock(session, path);
        return new ReadWrite() {
            @Override
            public Mutex read() {
                return new Mutex() {
                    private LockHandle held;

                    @Override
                    public void acquire() throws InterruptedException {
                        held = rw.acquireRead();
                    }

                    @Override
                    public void release() {
                        held.close();
                    }
                };
            }

            @Override
            public Mutex write() {
                return new Mutex() {
                    private LockHandle held;

                    @Override
                    public void acquire() throws InterruptedException {
                        held = rw.acquireWrite();
                    }

                    @Override
                    public void release() {
                        held.close();
                    }
                };
            }
        };
    }

    @Override
    public Mutex semaphore(String path, int permits) {
        ZkSemaphore sem = new ZkSemaphore(session, path, permits);
        return new Mutex() {
            private Lease lease;

            @Override
            public void acquire() throws InterruptedException {
                lease = sem.acquire();
            }

            @Override
            public void release() {
                lease.close();
            }
        };
    }

    /** How long a barrier call may take before the benchmark calls it stuck (a round takes milliseconds). */
    private static final Duration STUCK = Duration.ofSeconds(60);

    @Override
    public Barrier doubleBarrier(String path, int parties) {
        ZkDoubleBarrier barrier = new ZkDoubleBarrier(session, path, parties);
        return new Barrier() {
            @Override
            public void enter() throws InterruptedException {
                if (!barrier.enter(STUCK)) {
                    throw new IllegalStateException("barrier enter did not pass in " + STUCK + " with all parties running");
                }
            }

            @Override
            public void leave() throws InterruptedException {
                if (!barrier.leave(STUCK)) {
                    throw new IllegalStateException("barrier leave did not pass in " + STUCK + " with all parties running");
                }
            }
        };
    }

    @Override
    public AutoCloseable joinOnly(String path, String id) throws InterruptedException {
        return new ZkGroup(session, path).join(id, new byte[0]);
    }

    @Override
    public Member join(String path, String id) throws InterruptedException {
        ZkGroup group = new ZkGroup(session, path);
        Membership membership = group.join(id, new byte[0]);
        GroupView view = group.view();
        return new Member() {
            @Override
            public void awaitSeen(String member, boolean present) throws InterruptedException {
                if (!view.await(m -> m.containsKey(member) == present, Duration.ofSeconds(60))) {
                    throw new IllegalStateException("member " + member + (present ? " never seen" : " never gone"));
                }
            }

            @Override
            public void close() {
                view.close();
                membership.close();
            }
        };
    }

    @Override
    public void close() {
        session.close();
    }
}
