package io.github.zkrecipes.it.chaos;

import io.github.zkrecipes.Grant;
import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.election.Candidacy;
import io.github.zkrecipes.election.ZkElection;
import io.github.zkrecipes.locks.LockHandle;
import io.github.zkrecipes.locks.ZkLock;
import io.github.zkrecipes.locks.ZkSemaphore;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A client process of the fault suite: runs one recipe workload against the ensemble and prints
 * every invoke / ok / fail / info as an {@link Event} line on standard output. Arguments are
 * {@code key=value}: {@code name connect namespace sessionMs workload=lock|semaphore|election
 * ops holdMinMs holdMaxMs gapMs honest guarded fencedPort permits seed}; for the lock workload
 * also {@code acquireMs} (the tryAcquire timeout, default 20 s; a timeout is reported with its
 * elapsed time), {@code checkOrphans} (after a timeout, report how many nodes the session still
 * owns) and {@code clockWatch} (report wall-clock steps).
 *
 * <p>Lock workload, per operation: acquire; read the fenced resource and the ZooKeeper counter
 * {@code /counter}; hold; write counter+1 (guarded with the lock's node, or a plain setData when
 * {@code guarded=false}) and resource+1 with the fence; release. An <em>honest</em> worker treats
 * anything but HELD as "not owner" and skips its writes; a dishonest one (the canary) just sleeps
 * through the hold and writes, like a holder whose GC pause fell between its check and its write.
 *
 * <p>Commands on standard input: {@code stop} (finish the current operation, close, report
 * leaks), {@code close} (close the session now, whatever it is doing). End-of-file halts.
 */
public final class WorkerMain {
    private static final Object OUT = new Object();

    private final Map<String, String> conf;
    private final String name;
    private final Random random;
    private volatile boolean stopping;
    private volatile ZkSession session;

    private WorkerMain(Map<String, String> conf) {
        this.conf = conf;
        this.name = conf.get("name");
        this.random = new Random(Long.parseLong(conf.getOrDefault("seed", "1")));
    }

    public static void main(String[] args) {
        Map<String, String> conf = new HashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            conf.put(a.substring(0, eq), a.substring(eq + 1));
        }
        WorkerMain w = new WorkerMain(conf);
        Watchdog.start(w::command);
        if (Boolean.parseBoolean(conf.getOrDefault("clockWatch", "false"))) {
            w.watchClock();
        }
        int code = 0;
        try {
            w.run();
        } catch (Throwable t) {
            t.printStackTrace();
            w.emit("info", "worker-error", "error", t.getClass().getSimpleName());
            code = 1;
        }
        System.out.flush();
        Runtime.getRuntime().halt(code);
    }

    private void command(String c) {
        if (c.equals("stop")) {
            stopping = true;
        } else if (c.equals("close")) {
            stopping = true;
            emit("invoke", "close");
            ZkSession s = session;
            if (s != null) {
                s.close();
            }
            emit("ok", "close");
        }
    }

    private void run() throws Exception {
        Set<String> baselineThreads = threadNames();
        long baselineSockets = sockets();
        String workload = conf.get("workload");
        session = ZkSession.builder(conf.get("connect"))
                .namespace(conf.get("namespace"))
                .sessionTimeout(Duration.ofMillis(Long.parseLong(conf.getOrDefault("sessionMs", "3000"))))
                .connectionTimeout(Duration.ofSeconds(15))
                .participantId(name)
                .connect();
        ZkSession s = session;
        s.addStateListener((state, sid) -> emit("info", "session", "state", state, "sid", Long.toHexString(sid)));
        emit("info", "started", "sid", Long.toHexString(s.sessionId()));
        switch (workload) {
            case "lock" -> lockLoop(s);
            case "semaphore" -> semaphoreLoop(s);
            case "election" -> election(s);
            case "barrier" -> barrierLoop(s);
            case "rwlock" -> readWriteLoop(s);
            case "group" -> group(s);
            default -> throw new IllegalArgumentException("workload " + workload);
        }
        s.close();
        reportLeaks(baselineThreads, baselineSockets);
    }

    private void lockLoop(ZkSession s) throws Exception {
        ZkLock lock = new ZkLock(s, "/lock");
        long acquireMs = Long.parseLong(conf.getOrDefault("acquireMs", "20000"));
        boolean checkOrphans = Boolean.parseBoolean(conf.getOrDefault("checkOrphans", "false"));
        boolean honest = Boolean.parseBoolean(conf.getOrDefault("honest", "true"));
        boolean guarded = Boolean.parseBoolean(conf.getOrDefault("guarded", "true"));
        try (Fenced fenced = new Fenced(Integer.parseInt(conf.get("fencedPort")))) {
            for (int op = 0; op < ops() && !stopping; op++) {
                emit("invoke", "acquire");
                Optional<LockHandle> got;
                long t0 = System.nanoTime();
                try {
                    got = lock.tryAcquire(Duration.ofMillis(acquireMs));
                } catch (RuntimeException e) {
                    emit(e instanceof SessionLostException ? "fail" : "info", "acquire", "error", e.getClass().getSimpleName());
                    continue;
                }
                if (got.isEmpty()) {
                    long elapsed = (System.nanoTime() - t0) / 1_000_000;
                    emit("fail", "acquire", "error", "timeout", "elapsedMs", elapsed, "timeoutMs", acquireMs);
                    if (checkOrphans) {
                        checkOrphans(s);
                    }
                    continue;
                }
                LockHandle h = got.get();
                long fence = h.fence();
                emit("ok", "acquire", "fence", fence, "sid", Long.toHexString(h.sessionId()));
                h.onStateChange(state -> emit("info", "grant", "fence", fence, "state", state));
                hold(s, h::state, h::guarded, fence, fenced, honest, guarded);
                emit("invoke", "release", "fence", fence);
                h.close();
                emit("ok", "release", "fence", fence);
                gap();
            }
        }
    }

    /**
     * After a timed-out acquire: {@code info own-nodes count=<now> after=<once settled> ms=<until
     * then>}. When the call had its replies the engine confirmed its delete before returning
     * (count 0); when it gave up without the create's or the delete's reply it left the delete to
     * a background retry, so the count may be 1 at first and must reach 0 within a session timeout.
     */
    private void checkOrphans(ZkSession s) throws InterruptedException {
        long first = ownNodes(s, "/lock");
        long now = first;
        long t0 = System.nanoTime();
        long limit = TimeUnit.MILLISECONDS.toNanos(Long.parseLong(conf.getOrDefault("sessionMs", "3000")) + 5000);
        while (now != 0 && System.nanoTime() - t0 < limit) {
            TimeUnit.MILLISECONDS.sleep(50); // polling the worker's own state, not a test wait
            now = ownNodes(s, "/lock");
        }
        emit("info", "own-nodes", "count", first, "after", now, "ms", (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * How many nodes in {@code dir} this session owns now (-1: could not tell). Read by the same
     * session right after its own calls, so it sees their effects (a session's requests are
     * applied in order): after a timed-out acquire it must be 0.
     */
    private static long ownNodes(ZkSession s, String dir) {
        try {
            long sid = s.sessionId();
            long n = 0;
            for (String child : s.curator().getChildren().forPath(dir)) {
                org.apache.zookeeper.data.Stat st = s.curator().checkExists().forPath(dir + "/" + child);
                if (st != null && st.getEphemeralOwner() == sid) {
                    n++;
                }
            }
            return n;
        } catch (Exception e) {
            return -1;
        }
    }

    /**
     * Watches this JVM's wall clock against its monotonic clock and reports every step of more
     * than a second ({@code info clock skewMs=...}, the wall clock minus where it would be had it
     * not moved), starting with the skew at start. Row 26 steps the wall clock with libfaketime.
     */
    private void watchClock() {
        long wall0 = System.currentTimeMillis();
        long mono0 = System.nanoTime();
        Thread t = new Thread(() -> {
            long reported = Long.MIN_VALUE;
            while (true) {
                long skew = System.currentTimeMillis() - wall0 - (System.nanoTime() - mono0) / 1_000_000;
                if (reported == Long.MIN_VALUE || Math.abs(skew - reported) > 1000) {
                    emit("info", "clock", "skewMs", skew, "wallMs", System.currentTimeMillis());
                    reported = skew;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(20); // the watcher's sampling period
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "chaos-clock-watch");
        t.setDaemon(true);
        t.start();
    }

    @FunctionalInterface
    private interface Guarded {
        void apply(org.apache.curator.framework.api.transaction.CuratorOp op) throws Exception;
    }

    private void hold(ZkSession s, java.util.function.Supplier<GrantState> state, Guarded guardedWrite, long fence,
            Fenced fenced, boolean honest, boolean guarded) throws Exception {
        if (honest && state.get() != GrantState.HELD) {
            emit("info", "skip", "fence", fence, "why", state.get());
            return;
        }
        long resource;
        long counter;
        try {
            resource = fenced.read(fence);
            emit(resource >= 0 ? "ok" : "fail", "read", "fence", fence, "value", resource);
            counter = Long.parseLong(new String(s.curator().getData().forPath("/counter"), StandardCharsets.UTF_8));
        } catch (Exception e) {
            emit("fail", "read", "fence", fence, "error", e.getClass().getSimpleName());
            return;
        }
        long holdMs = holdMs();
        if (honest) {
            awaitHold(state, holdMs);
            if (state.get() != GrantState.HELD) {
                emit("info", "skip", "fence", fence, "why", state.get());
                return;
            }
        } else {
            TimeUnit.MILLISECONDS.sleep(holdMs);
        }
        byte[] next = Long.toString(counter + 1).getBytes(StandardCharsets.UTF_8);
        emit("invoke", "zkwrite", "fence", fence, "value", counter + 1, "guarded", guarded);
        try {
            if (guarded) {
                guardedWrite.apply(s.curator().transactionOp().setData().forPath("/counter", next));
            } else {
                s.curator().setData().forPath("/counter", next);
            }
            emit("ok", "zkwrite", "fence", fence, "value", counter + 1);
        } catch (io.github.zkrecipes.OwnershipLostException e) {
            emit("fail", "zkwrite", "fence", fence, "error", "OwnershipLost");
        } catch (Exception e) {
            emit("info", "zkwrite", "fence", fence, "error", e.getClass().getSimpleName());
        }
        if (resource >= 0) {
            emit("invoke", "write", "fence", fence, "value", resource + 1);
            boolean ok = fenced.write(fence, resource + 1);
            emit(ok ? "ok" : "fail", "write", "fence", fence, "value", resource + 1);
        }
    }

    /**
     * Holds for {@code holdMs}; while UNCERTAIN acts as a non-owner and waits (up to a session
     * timeout more) for the grant to be confirmed by a write (HELD) or lost.
     */
    private void awaitHold(java.util.function.Supplier<GrantState> state, long holdMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(holdMs);
        long doubtDeadline = deadline + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(conf.getOrDefault("sessionMs", "3000")));
        while (true) {
            GrantState st = state.get();
            long now = System.nanoTime();
            if (st.isTerminal() || (st == GrantState.HELD && now - deadline >= 0) || now - doubtDeadline >= 0) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(5); // the workload's own pacing, not a test wait
        }
    }

    private void semaphoreLoop(ZkSession s) throws Exception {
        ZkSemaphore semaphore = new ZkSemaphore(s, "/semaphore", Integer.parseInt(conf.getOrDefault("permits", "2")));
        for (int op = 0; op < ops() && !stopping; op++) {
            emit("invoke", "acquire");
            Optional<? extends Grant> got;
            try {
                got = semaphore.tryAcquire(Duration.ofSeconds(20));
            } catch (RuntimeException e) {
                emit(e instanceof SessionLostException ? "fail" : "info", "acquire", "error", e.getClass().getSimpleName());
                continue;
            }
            if (got.isEmpty()) {
                emit("fail", "acquire", "error", "timeout");
                continue;
            }
            Grant lease = got.get();
            long fence = lease.fence();
            emit("ok", "acquire", "fence", fence, "sid", Long.toHexString(lease.sessionId()));
            lease.onStateChange(state -> emit("info", "grant", "fence", fence, "state", state));
            awaitHold(lease::state, holdMs());
            emit("invoke", "release", "fence", fence);
            lease.close();
            emit("ok", "release", "fence", fence);
            gap();
        }
    }

    private void election(ZkSession s) throws Exception {
        ZkElection election = new ZkElection(s, "/election");
        Candidacy c = election.candidacy();
        c.addListener(e -> emit("info", "elect", "prev", e.previous(), "state", e.state(), "epoch", e.epoch()));
        c.start();
        emit("ok", "join");
        while (!stopping) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        emit("invoke", "leave");
        c.close();
        emit("ok", "leave");
    }

    private void readWriteLoop(ZkSession s) throws Exception {
        io.github.zkrecipes.locks.ZkReadWriteLock rw = new io.github.zkrecipes.locks.ZkReadWriteLock(s, "/rwlock");
        double writes = Double.parseDouble(conf.getOrDefault("writeRatio", "0.3"));
        for (int op = 0; op < ops() && !stopping; op++) {
            boolean write = random.nextDouble() < writes;
            String mode = write ? "write" : "read";
            emit("invoke", "acquire", "mode", mode);
            Optional<LockHandle> got;
            try {
                got = write ? rw.tryAcquireWrite(Duration.ofSeconds(20)) : rw.tryAcquireRead(Duration.ofSeconds(20));
            } catch (RuntimeException e) {
                emit(e instanceof SessionLostException ? "fail" : "info", "acquire", "mode", mode, "error",
                        e.getClass().getSimpleName());
                continue;
            }
            if (got.isEmpty()) {
                emit("fail", "acquire", "mode", mode, "error", "timeout");
                continue;
            }
            LockHandle h = got.get();
            long fence = h.fence();
            emit("ok", "acquire", "mode", mode, "fence", fence, "sid", Long.toHexString(h.sessionId()));
            h.onStateChange(state -> emit("info", "grant", "fence", fence, "state", state));
            awaitHold(h::state, holdMs());
            emit("invoke", "release", "fence", fence);
            h.close();
            emit("ok", "release", "fence", fence);
            gap();
        }
    }

    private void barrierLoop(ZkSession s) throws Exception {
        io.github.zkrecipes.groups.ZkDoubleBarrier barrier = new io.github.zkrecipes.groups.ZkDoubleBarrier(s,
                "/barrier", Integer.parseInt(conf.getOrDefault("parties", "3")));
        Duration timeout = Duration.ofMillis(Long.parseLong(conf.getOrDefault("timeoutMs", "30000")));
        for (int op = 0; op < ops() && !stopping; op++) {
            long t0 = System.nanoTime();
            emit("invoke", "enter");
            if (!barrier.enter(timeout)) {
                emit("fail", "enter", "elapsedMs", (System.nanoTime() - t0) / 1_000_000, "timeoutMs", timeout.toMillis());
                return;
            }
            long round = barrier.round();
            emit("ok", "enter", "round", round);
            TimeUnit.MILLISECONDS.sleep(holdMs());
            t0 = System.nanoTime();
            emit("invoke", "leave", "round", round);
            if (!barrier.leave(timeout)) {
                emit("fail", "leave", "round", round, "elapsedMs", (System.nanoTime() - t0) / 1_000_000,
                        "timeoutMs", timeout.toMillis());
                return;
            }
            emit("ok", "leave", "round", round);
        }
    }

    private void group(ZkSession s) throws Exception {
        io.github.zkrecipes.groups.ZkGroup group = new io.github.zkrecipes.groups.ZkGroup(s, "/group");
        try (io.github.zkrecipes.groups.GroupView view = group.view()) {
            Runnable report = () -> emit("info", "view", "members",
                    String.join(",", new java.util.TreeSet<>(view.members().keySet())));
            view.addListener(new io.github.zkrecipes.groups.GroupListener() {
                @Override
                public void joined(io.github.zkrecipes.groups.Member m) {
                    report.run();
                }

                @Override
                public void left(io.github.zkrecipes.groups.Member m) {
                    report.run();
                }
            });
            emit("invoke", "join");
            try (io.github.zkrecipes.groups.Membership m = group.join(name, name)) {
                m.addListener((membership, state) -> emit("info", "membership", "state", state));
                emit("ok", "join");
                report.run();
                while (!stopping) {
                    TimeUnit.MILLISECONDS.sleep(20);
                }
                emit("invoke", "leave");
            }
            emit("ok", "leave");
        }
    }

    private void reportLeaks(Set<String> baselineThreads, long baselineSockets) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<String> extra;
        long socketsNow;
        do {
            extra = threadNames();
            extra.removeAll(baselineThreads);
            extra.removeIf(n -> n.startsWith("chaos-watchdog") || n.equals("process reaper"));
            socketsNow = sockets();
            if (extra.isEmpty() && socketsNow <= baselineSockets) {
                break;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        } while (System.nanoTime() - deadline < 0);
        emit("info", "leaks", "threads", extra.size(), "threadNames", String.join(",", extra),
                "sockets", socketsNow - baselineSockets);
        emit("info", "done");
    }

    private static Set<String> threadNames() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .collect(Collectors.toCollection(HashSet::new));
    }

    /** Open TCP sockets of this process (-1 where /proc is missing). */
    private static long sockets() {
        File[] fds = new File("/proc/self/fd").listFiles();
        if (fds == null) {
            return -1;
        }
        Set<String> tcp = new HashSet<>();
        for (String table : new String[] {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
            try {
                for (String line : Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9) {
                        tcp.add(f[9]);
                    }
                }
            } catch (IOException e) {
                return -1;
            }
        }
        long n = 0;
        for (File fd : fds) {
            try {
                String target = Files.readSymbolicLink(fd.toPath()).toString();
                if (target.startsWith("socket:[") && tcp.contains(target.substring(8, target.length() - 1))) {
                    n++;
                }
            } catch (IOException | UnsupportedOperationException e) {
                // closed while listing
            }
        }
        return n;
    }

    private int ops() {
        return Integer.parseInt(conf.getOrDefault("ops", "1000000"));
    }

    private long holdMs() {
        long min = Long.parseLong(conf.getOrDefault("holdMinMs", "50"));
        long max = Long.parseLong(conf.getOrDefault("holdMaxMs", "150"));
        return min + (max > min ? (long) (random.nextDouble() * (max - min)) : 0);
    }

    private void gap() throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(Long.parseLong(conf.getOrDefault("gapMs", "20")));
    }

    private void emit(String type, String op, Object... kv) {
        String line = Event.of(System.nanoTime(), name, type, op, kv).format();
        synchronized (OUT) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /** The worker's connection to the {@link FencedResource}. */
    private final class Fenced implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        Fenced(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        /** The value, or -1 if the token was refused. */
        long read(long token) throws IOException {
            String r = call("READ " + name + " " + token);
            return r.startsWith("OK ") ? Long.parseLong(r.substring(3)) : -1;
        }

        boolean write(long token, long value) throws IOException {
            return call("WRITE " + name + " " + token + " " + value).equals("OK");
        }

        private String call(String request) throws IOException {
            out.write((request + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            String r = in.readLine();
            if (r == null) {
                throw new IOException("fenced resource closed");
            }
            return r;
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

}
