package io.github.zkrecipes.samples.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A benchmark scenario, runnable for any {@link RecipeClient.Factory} against any ensemble. The
 * same code serves {@code zkr bench} (zk-recipes only, against the user's ensemble) and the
 * side-by-side comparison with Curator in {@code it/}.
 *
 * <p>Every scenario runs a warm-up (a fifth of the duration, at most one second) that is not
 * measured, then counts the operations completed in the measured window. Each client has a
 * session of its own and one worker thread; all work under a fresh path per run.
 */
public interface Scenario {
    /** A short stable name ("lock-uncontended"). */
    String name();

    /** What one operation is, for reports. */
    String unit();

    /** Runs the scenario once for {@code factory} on {@code connectString}. */
    Result run(RecipeClient.Factory factory, String connectString, Duration duration) throws Exception;

    /** Acquire and release one lock, one client. */
    static Scenario lockUncontended() {
        return clients("lock-uncontended", "lock cycles", 1, (client, path, i, random) -> client.lock(path));
    }

    /** {@code n} clients contending for one lock. */
    static Scenario lockContended(int n) {
        return clients("lock-contended-" + n, "acquisitions", n, (client, path, i, random) -> client.lock(path));
    }

    /** {@code n} clients on one read-write lock, {@code readPercent} % of acquisitions reads. */
    static Scenario readWrite(int n, int readPercent) {
        return clients("rwlock-" + n + "-" + readPercent + "pct-reads", "acquisitions", n, (client, path, i, random) -> {
            RecipeClient.ReadWrite rw = client.readWrite(path);
            RecipeClient.Mutex read = rw.read();
            RecipeClient.Mutex write = rw.write();
            return new RecipeClient.Mutex() {
                private RecipeClient.Mutex current;

                @Override
                public void acquire() throws Exception {
                    current = random.nextInt(100) < readPercent ? read : write;
                    current.acquire();
                }

                @Override
                public void release() throws Exception {
                    current.release();
                }
            };
        });
    }

    /** {@code n} clients on a semaphore of {@code permits}, one permit each. */
    static Scenario semaphore(int permits, int n) {
        return clients("semaphore-" + permits + "-of-" + n, "acquisitions", n,
                (client, path, i, random) -> client.semaphore(path, permits));
    }

    /**
     * {@code parties} clients going through one double barrier round after round: a round is every
     * client's enter and leave. Ops are rounds; latency is a round's, first enter to last leave.
     */
    static Scenario doubleBarrier(int parties) {
        return new Scenario() {
            @Override
            public String name() {
                return "barrier-" + parties;
            }

            @Override
            public String unit() {
                return "rounds";
            }

            @Override
            public Result run(RecipeClient.Factory factory, String connectString, Duration duration) throws Exception {
                String path = "/bench/" + name() + "-" + System.nanoTime();
                List<RecipeClient> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < parties; i++) {
                        clients.add(factory.connect(connectString));
                    }
                    long warmupEnd = System.nanoTime() + Math.min(duration.toNanos() / 5, Duration.ofSeconds(1).toNanos());
                    long end = warmupEnd + duration.toNanos();
                    // The parties agree locally, once per round, whether to go on: a party that stopped
                    // alone would leave the others waiting in enter() for ever.
                    boolean[] go = {true};
                    long[] roundStart = {0};
                    List<Long> lat = new ArrayList<>();
                    java.util.concurrent.CyclicBarrier agree = new java.util.concurrent.CyclicBarrier(parties, () -> {
                        long now = System.nanoTime();
                        if (roundStart[0] != 0 && roundStart[0] - warmupEnd >= 0) {
                            lat.add(now - roundStart[0]);
                        }
                        go[0] = now - end < 0;
                        roundStart[0] = now;
                    });
                    AtomicReference<Throwable> failure = new AtomicReference<>();
                    List<Thread> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
                    for (RecipeClient c : clients) {
                        RecipeClient.Barrier b = c.doubleBarrier(path, parties);
                        Thread t = new Thread(() -> {
                            try {
                                while (failure.get() == null) { // a party that failed is not waited for
                                    agree.await();
                                    if (!go[0]) {
                                        break;
                                    }
                                    b.enter();
                                    b.leave();
                                }
                            } catch (Throwable e) {
                                if (failure.compareAndSet(null, e)) {
                                    // The others fail too, at once, instead of waiting for this one
                                    // in the barrier or in the next round's agreement.
                                    agree.reset();
                                    threads.stream().filter(other -> other != Thread.currentThread())
                                            .forEach(Thread::interrupt);
                                }
                            }
                        }, "bench-" + name());
                        t.setDaemon(true);
                        threads.add(t);
                        t.start();
                    }
                    joinOrGiveUp(name(), threads, end);
                    if (failure.get() != null) {
                        throw new IllegalStateException("scenario " + name() + " failed: " + failure.get(), failure.get());
                    }
                    long[] l = lat.stream().mapToLong(Long::longValue).toArray();
                    return new Result(l.length, duration.toNanos() / 1e9, l);
                } finally {
                    for (RecipeClient c : clients) {
                        c.close();
                    }
                }
            }
        };
    }

    /**
     * {@code members} clients in one group, each with a live view; one more client joins and
     * leaves, round after round. Latency: from the join call until every member's view shows it
     * (and likewise for the leave); ops are joins seen by all.
     */
    static Scenario memberJoinSeenByAll(int members) {
        return new Scenario() {
            @Override
            public String name() {
                return "group-join-seen-by-" + members;
            }

            @Override
            public String unit() {
                return "joins seen by all";
            }

            @Override
            public Result run(RecipeClient.Factory factory, String connectString, Duration duration) throws Exception {
                String path = "/bench/" + name() + "-" + System.nanoTime();
                List<RecipeClient> clients = new ArrayList<>();
                List<RecipeClient.Member> seers = new ArrayList<>();
                try {
                    for (int i = 0; i <= members; i++) {
                        clients.add(factory.connect(connectString));
                    }
                    for (int i = 0; i < members; i++) {
                        seers.add(clients.get(i).join(path, "m" + i));
                    }
                    for (int i = 0; i < members; i++) {
                        for (int j = 0; j < members; j++) {
                            seers.get(i).awaitSeen("m" + j, true);
                        }
                    }
                    RecipeClient joiner = clients.get(members);
                    long warmupEnd = System.nanoTime() + Math.min(duration.toNanos() / 5, Duration.ofSeconds(1).toNanos());
                    long end = warmupEnd + duration.toNanos();
                    long[] lat = new long[256];
                    int n = 0;
                    int round = 0;
                    long now;
                    while ((now = System.nanoTime()) - end < 0) {
                        String id = "joiner" + round++;
                        AutoCloseable m = joiner.joinOnly(path, id); // Curator's member always has a cache

                        for (RecipeClient.Member seer : seers) {
                            seer.awaitSeen(id, true);
                        }
                        long seen = System.nanoTime();
                        m.close();
                        for (RecipeClient.Member seer : seers) {
                            seer.awaitSeen(id, false);
                        }
                        if (now - warmupEnd >= 0) {
                            if (n == lat.length) {
                                lat = java.util.Arrays.copyOf(lat, n * 2);
                            }
                            lat[n++] = seen - now;
                        }
                    }
                    return new Result(n, duration.toNanos() / 1e9, java.util.Arrays.copyOf(lat, n));
                } finally {
                    for (RecipeClient.Member m : seers) {
                        m.close();
                    }
                    for (RecipeClient c : clients) {
                        c.close();
                    }
                }
            }
        };
    }

    /** How long past its measuring window a scenario's workers may take to stop before it is called stuck. */
    Duration STUCK_AFTER = Duration.ofSeconds(90);

    /**
     * Waits for the workers, at most {@link #STUCK_AFTER} past {@code endNanos}; then interrupts
     * them and fails the run (a library that hangs, such as Curator's double barrier now and then,
     * is reported instead of stopping the whole comparison).
     */
    static void joinOrGiveUp(String name, List<Thread> threads, long endNanos) throws InterruptedException {
        long deadline = endNanos + STUCK_AFTER.toNanos();
        for (Thread t : threads) {
            long left = deadline - System.nanoTime();
            if (left > 0) {
                t.join(Math.max(1, left / 1_000_000));
            }
        }
        List<Thread> stuck = threads.stream().filter(Thread::isAlive).toList();
        if (!stuck.isEmpty()) {
            StackTraceElement[] where = stuck.get(0).getStackTrace();
            stuck.forEach(Thread::interrupt);
            throw new IllegalStateException("scenario " + name + ": " + stuck.size() + " worker(s) stuck " + STUCK_AFTER
                    + " after the end of the run, in " + (where.length > 0 ? where[Math.min(2, where.length - 1)] : "?"));
        }
    }

    /** Makes one worker's handle. */
    @FunctionalInterface
    interface HandleMaker {
        RecipeClient.Mutex make(RecipeClient client, String path, int index, Random random) throws Exception;
    }

    /** {@code n} clients, each looping acquire/release on its handle; latency is the acquire's. */
    static Scenario clients(String name, String unit, int n, HandleMaker maker) {
        return new Scenario() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public String unit() {
                return unit;
            }

            @Override
            public Result run(RecipeClient.Factory factory, String connectString, Duration duration) throws Exception {
                String path = "/bench/" + name + "-" + System.nanoTime();
                List<RecipeClient> clients = new ArrayList<>();
                try {
                    for (int i = 0; i < n; i++) {
                        clients.add(factory.connect(connectString));
                    }
                    return drive(clients, path, duration);
                } finally {
                    for (RecipeClient c : clients) {
                        c.close();
                    }
                }
            }

            private Result drive(List<RecipeClient> clients, String path, Duration duration) throws Exception {
                long warmup = Math.min(duration.toNanos() / 5, Duration.ofSeconds(1).toNanos());
                CountDownLatch ready = new CountDownLatch(clients.size());
                CountDownLatch go = new CountDownLatch(1);
                long[] window = new long[2];
                AtomicReference<Throwable> failure = new AtomicReference<>();
                List<long[]> perWorker = new ArrayList<>();
                List<int[]> counts = new ArrayList<>();
                List<Thread> threads = new ArrayList<>();
                for (int i = 0; i < clients.size(); i++) {
                    RecipeClient.Mutex handle = maker.make(clients.get(i), path, i, new Random(i));
                    long[][] lat = {new long[1024]};
                    int[] count = new int[1];
                    int index = i;
                    Thread t = new Thread(() -> {
                        try {
                            ready.countDown();
                            go.await();
                            while (true) {
                                long t0 = System.nanoTime();
                                if (t0 - window[1] >= 0) {
                                    break;
                                }
                                handle.acquire();
                                long t1 = System.nanoTime();
                                handle.release();
                                if (t0 - window[0] >= 0 && t1 - window[1] < 0) {
                                    if (count[0] == lat[0].length) {
                                        lat[0] = java.util.Arrays.copyOf(lat[0], lat[0].length * 2);
                                    }
                                    lat[0][count[0]++] = t1 - t0;
                                }
                            }
                        } catch (Throwable e) {
                            failure.compareAndSet(null, e);
                        }
                        synchronized (perWorker) {
                            perWorker.add(java.util.Arrays.copyOf(lat[0], count[0]));
                        }
                    }, "bench-" + name + "-" + index);
                    t.setDaemon(true);
                    threads.add(t);
                    counts.add(count);
                    t.start();
                }
                ready.await();
                long start = System.nanoTime();
                window[0] = start + warmup;
                window[1] = window[0] + duration.toNanos();
                go.countDown();
                joinOrGiveUp(name, threads, window[1]);
                if (failure.get() != null) {
                    throw new IllegalStateException("scenario " + name + " failed: " + failure.get(), failure.get());
                }
                long total = 0;
                for (long[] l : perWorker) {
                    total += l.length;
                }
                long[] all = new long[(int) total];
                int at = 0;
                for (long[] l : perWorker) {
                    System.arraycopy(l, 0, all, at, l.length);
                    at += l.length;
                }
                return new Result(total, duration.toNanos() / 1e9, all);
            }
        };
    }
}
