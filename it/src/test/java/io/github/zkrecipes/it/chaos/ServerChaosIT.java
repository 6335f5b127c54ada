package io.github.zkrecipes.it.chaos;

import static io.github.zkrecipes.it.chaos.Nemesis.after;
import static io.github.zkrecipes.it.chaos.Nemesis.by;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Ensemble-side rows of the full matrix ({@code -Pchaos}): 12-15 (leader paused, quorum lost
 * shorter and longer than T), 19 (slow fsync: {@link ServerMain} delays every transaction-log
 * flush), 21 (a server cut off from its peers serves read-only; our clients never accept that) and
 * a seeded random mix of client-link and server faults (16 and 17: {@link PartitionChaosIT}; 20:
 * {@link DiskChaosIT}).
 */
class ServerChaosIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("server-chaos-" + Long.toHexString(System.nanoTime())).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("ServerChaosIT");
    }

    private static Scenario lockScenario(String row, String title) {
        return Scenario.lockWorkers(row, title, ensemble, 9_000);
    }

    private static long progress(Scenario s, int n) {
        return s.progress(n, PATIENCE);
    }

    private static List<String> finish(Scenario s, String note) throws InterruptedException {
        ensemble.awaitAllServing();
        s.stopAll();
        return s.report(Nemesis.lockChecks(s, true), note);
    }

    private static void pauseFor(List<Integer> servers, Duration length, Scenario s) {
        s.history.fault("SIGSTOP servers " + servers, "ms", length.toMillis());
        servers.forEach(ensemble::pause);
        try {
            Nemesis.faultLasts(length);
        } finally {
            servers.forEach(ensemble::resume);
        }
    }

    private static List<Integer> twoServers() {
        int leader = ensemble.leader();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < ServerEnsemble.SIZE && out.size() < 2; i++) {
            if (i != leader) {
                out.add(i); // the followers: the leader then loses its quorum too
            }
        }
        return out;
    }

    /**
     * Rows 12-15: progress, then {@code servers} paused for {@code length}, then progress again.
     *
     * @return the violations, and the milliseconds from the resume to the next progress
     */
    private static long pausedRow(String row, String title, List<Integer> servers, Duration length, String after,
            List<String> violations) throws Exception {
        try (Scenario s = lockScenario(row, title)) {
            progress(s, 3);
            pauseFor(servers, length, s);
            long p = progress(s, 5);
            violations.addAll(finish(s, "progress " + p + " ms after " + after));
            return p;
        }
    }

    @Test
    void row12_theEnsembleLeaderPausedBrieflyGrantsNothingTwice() throws Exception {
        List<String> v = new ArrayList<>();
        pausedRow("12", "lock: ensemble leader SIGSTOPped 1.5 s", List.of(ensemble.leader()), Duration.ofMillis(1500),
                "resume", v);
        assertEquals(List.of(), v);
    }

    @Test
    void row13_theEnsembleLeaderPausedLongerThanTheSessionTimeoutIsReplaced() throws Exception {
        List<String> v = new ArrayList<>();
        pausedRow("13", "lock: ensemble leader SIGSTOPped 6 s (> T)", List.of(ensemble.leader()), Duration.ofSeconds(6),
                "resume", v);
        assertEquals(List.of(), v);
    }

    @Test
    void row14_quorumLostShorterThanTheSessionTimeoutGrantsNothingAndKeepsHolders() throws Exception {
        List<String> v = new ArrayList<>();
        pausedRow("14", "lock: quorum lost 2 s (2 followers SIGSTOPped)", twoServers(), Duration.ofSeconds(2),
                "restore", v);
        assertEquals(List.of(), v);
    }

    @Test
    void row15_quorumLostLongerThanTheSessionTimeoutMakesNoDoubleHolderAndRecovers() throws Exception {
        List<String> v = new ArrayList<>();
        long p = pausedRow("15", "lock: quorum lost 7 s (> T), restored", twoServers(), Duration.ofSeconds(7),
                "restore", v);
        assertTrue(p < Scenario.T.plusSeconds(20).toMillis(), "progress within T + election + slack: " + p);
        assertEquals(List.of(), v);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("io.github.zkrecipes.it.chaos.Nemesis#seeds")
    void row17_randomFaultsUnderLoad(long seed) throws Exception {
        Random random = new Random(seed);
        try (Scenario s = Scenario.lockWorkers("mix", "lock: 10 seeded random client/server faults", ensemble,
                9_000 + seed)) {
            progress(s, 3);
            for (int i = 0; i < 10; i++) {
                int kind = random.nextInt(5);
                String w = "w" + (1 + random.nextInt(3));
                Duration length = Duration.ofMillis(500 + random.nextInt(5000));
                switch (kind) {
                    case 0 -> {
                        s.history.fault("blackhole", "who", w, "ms", length.toMillis());
                        s.link(w).blackhole();
                        try {
                            Nemesis.faultLasts(length);
                        } finally {
                            s.link(w).heal();
                        }
                    }
                    case 1 -> {
                        s.history.fault("reset", "who", w);
                        s.link(w).reset();
                    }
                    case 2 -> {
                        int server = random.nextInt(ServerEnsemble.SIZE);
                        s.history.fault("kill -9 server", "server", server, "ms", length.toMillis());
                        ensemble.kill9(server);
                        try {
                            Nemesis.faultLasts(length);
                        } finally {
                            ensemble.restart(server);
                        }
                    }
                    case 3 -> pauseFor(List.of(Math.max(0, ensemble.leader())), length, s);
                    default -> {
                        s.history.fault("delay 100 ms", "who", w, "ms", length.toMillis());
                        s.link(w).delay(100);
                        try {
                            Nemesis.faultLasts(length);
                        } finally {
                            s.link(w).heal();
                        }
                    }
                }
                ensemble.awaitAllServing();
                progress(s, 2);
            }
            assertEquals(List.of(), finish(s, "seed " + seed));
        }
    }

    /** Median and maximum of {@code n} sequential writes by the admin session, in ms. */
    private static long[] writeLatency(Scenario s, int n) throws Exception {
        long[] ms = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            s.admin.curator().setData().forPath("/probe", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            ms[i] = (System.nanoTime() - t0) / 1_000_000;
        }
        Arrays.sort(ms);
        return new long[] {ms[n / 2], ms[n - 1]};
    }

    @Test
    void row19_slowFsyncChangesNoSafetyAndTimedAcquiresGiveUpOnTimeLeavingNoNode() throws Exception {
        long delay = 1000;
        try (Scenario s = new Scenario("19", "lock: slow fsync (1 s per flush) on the leader, then on leader + follower",
                ensemble, "/lock", 19)) {
            // Timed acquires of 1, 2 and 3 s, with w1 holding 0.2-1.5 s: some give up already
            // without the fault; under it, a create or a delete alone takes a flush or two.
            s.worker("w1", "lock", "holdMinMs", "200", "holdMaxMs", "1500", "acquireMs", "2000", "checkOrphans", "true");
            s.worker("w2", "lock", "acquireMs", "1000", "checkOrphans", "true");
            s.worker("w3", "lock", "acquireMs", "3000", "checkOrphans", "true");
            s.awaitStarted();
            s.admin.curator().create().forPath("/probe");
            progress(s, 3);
            long[] before = writeLatency(s, 5);
            int leader = ensemble.leader();
            int follower = (leader + 1) % ServerEnsemble.SIZE;
            long[] leaderSlow;
            long[] quorumSlow;
            long quorumFrom;
            long quorumTo;
            try {
                s.history.fault("slow fsync", "server", leader, "role", "leader", "ms", delay);
                ensemble.fsyncDelay(leader, delay);
                leaderSlow = writeLatency(s, 5);
                Nemesis.faultLasts(Duration.ofSeconds(8));
                s.history.fault("slow fsync", "server", follower, "role", "follower", "ms", delay);
                ensemble.fsyncDelay(follower, delay);
                quorumFrom = System.nanoTime();
                quorumSlow = writeLatency(s, 5);
                Nemesis.faultLasts(Duration.ofSeconds(15));
                quorumTo = System.nanoTime();
            } finally {
                for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                    ensemble.fsyncDelay(i, 0);
                }
            }
            long p = progress(s, 3);
            ensemble.awaitAllServing();
            s.stopAll();
            int leftAtClose = s.children().size();
            List<Event> events = s.history.events();
            List<String> v = new ArrayList<>(Nemesis.lockChecks(s, true));
            v.addAll(Checkers.timedCallsOnTime(events));
            List<Event> timeouts = events.stream().filter(e -> e.is("fail", "acquire") && e.get("timeoutMs") != null)
                    .toList();
            long maxOvershoot = timeouts.stream().mapToLong(e -> e.num("elapsedMs") - e.num("timeoutMs")).max()
                    .orElse(0);
            long duringQuorum = timeouts.stream().filter(e -> e.nanos() > quorumFrom && e.nanos() < quorumTo).count();
            // A call whose deadline passes with its create in flight waits for that reply (at least
            // the engine's 2 s round-trip grace) and then for a confirmed delete (bounded by the
            // session timeout): beyond that it returned hugely late.
            long bound = SequentialQueue.ROUND_TRIP_GRACE.plus(Scenario.T).toMillis();
            if (maxOvershoot > bound) {
                v.add("a timed acquire returned " + maxOvershoot + " ms after its deadline (> " + bound + " ms)");
            }
            v.addAll(Checkers.timedOutAcquiresLeftNothing(events));
            long deferred = s.history.count(e -> e.is("info", "own-nodes") && e.num("count") != 0);
            long deferredMs = events.stream().filter(e -> e.is("info", "own-nodes") && e.num("count") != 0)
                    .mapToLong(e -> e.num("ms")).max().orElse(0);
            if (timeouts.isEmpty()) {
                v.add("no timed acquire gave up: the row did not test what it claims");
            }
            // A write waits for the flush in progress and then its own (2 flushes); a session's
            // pings queue behind its pending write, so a client may hear nothing for 2/3 T.
            long suspensions = s.history.count(e -> e.is("info", "session") && "SUSPENDED".equals(e.get("state")));
            String note = String.format("write latency median/max %d/%d ms; slow leader %d/%d ms; slow leader+follower"
                    + " %d/%d ms; %d timed acquires gave up (%d with the quorum slow), max %d ms after the deadline,"
                    + " none left a node (%d deleted in the background after the call returned, at most %d ms"
                    + " later), %d nodes in /lock as the workers exited; %d SUSPENDED (pings"
                    + " behind slow writes);"
                    + " progress %d ms after restore", before[0], before[1], leaderSlow[0], leaderSlow[1], quorumSlow[0],
                    quorumSlow[1], timeouts.size(), duringQuorum, maxOvershoot, deferred, deferredMs, leftAtClose,
                    suspensions, p);
            assertEquals(List.of(), s.report(v, note));
        }
    }

    @Test
    void row21_aReadOnlyServerGivesOurClientsNoSessionNoGrantAndNoLeadership() throws Exception {
        try (ServerEnsemble ro = new ServerEnsemble("read-only-" + Long.toHexString(System.nanoTime()), true)
                // A read-only server creates local sessions only (ReadOnlyRequestProcessor passes
                // createSession only for them): without local sessions no client, read-only or
                // not, could connect to it, and the row would prove nothing. Our sessions are
                // upgraded to global ones by their first ephemeral node.
                .serverJvmArgs("-Dreadonlymode.enabled=true",
                        "-Dorg.slf4j.simpleLogger.log.org.apache.zookeeper.server.ZooKeeperServer=info")
                .serverConfig("localSessionsEnabled=true", "localSessionsUpgradingEnabled=true").start();
                Scenario s = new Scenario("21",
                        "lock+election: clients pinned to a server cut off (restarted) into read-only mode", ro, "/lock",
                        21)) {
            int x = ro.follower();
            int other = ro.leader();
            List<String> pinned = List.of("e1", "r1", "r2");
            s.workerOn(x, "e1", "election");
            s.awaitStarted();
            s.history.await("e1 to lead", ElectionFaultsIT.leading("e1"), PATIENCE);
            s.workerOn(other, "e2", "election");
            s.workerOn(x, "r1", "lock");
            s.workerOn(x, "r2", "lock");
            s.workerOn(other, "m1", "lock");
            s.awaitStarted();
            for (String w : List.of("r1", "r2", "m1")) {
                s.history.await(w + " to release once", by(w, "ok", "release"), PATIENCE);
            }
            long cut = System.nanoTime();
            s.history.fault("isolate server, restart it cut off (readonlymode.enabled)", "server", x);
            ro.isolate(x);
            // The peer proxies do not carry every election channel: a server that receives an
            // election connection from a lower id drops it and dials back the address that peer
            // advertises (its real port; QuorumCnxManager.handleConnection -> connectOne(sid,
            // electionAddr)). Those direct channels survive the cut, the isolated server keeps
            // hearing "LEADING" and never stays LOOKING long enough to turn read-only. Restarted
            // while cut off, it has no channel at all: nothing reaches a peer to be dialed back.
            ro.kill9(x);
            ro.restart(x);
            long readOnlyAt;
            long healAt;
            String canary;
            try {
                Await.until("server " + x + " to serve read-only", () -> ro.mode(x).equals("read-only"), PATIENCE);
                readOnlyAt = System.nanoTime();
                canary = readOnlyCanary(ro.clientPort(x));
                s.history.await("e2 to lead", after(cut, ElectionFaultsIT.leading("e2")), PATIENCE);
                s.history.await("m1 to be granted", after(cut, by("m1", "ok", "acquire")), PATIENCE);
                for (String w : pinned) {
                    s.history.await(w + " to suspend", after(cut, e -> e.process().equals(w)
                            && e.is("info", "session") && !"CONNECTED".equals(e.get("state"))
                            && !"RECONNECTED".equals(e.get("state"))), PATIENCE);
                }
                // Long enough for the pinned clients' sessions to expire on the majority.
                Nemesis.faultLasts(Scenario.T.plusSeconds(3));
                healAt = System.nanoTime();
            } finally {
                ro.healPeers();
            }
            Await.until("server " + x + " to rejoin", () -> ro.mode(x).equals("follower") || ro.mode(x).equals("leader"),
                    PATIENCE);
            for (String w : List.of("r1", "r2")) {
                s.history.await(w + " to proceed after the heal", after(healAt, by(w, "ok", "release")), PATIENCE);
            }
            long rejoinedAt = s.history.await("r1 to proceed", after(healAt, by("r1", "ok", "release")), PATIENCE)
                    .nanos();
            s.stopAll();
            List<Event> events = s.history.events();
            List<String> v = new ArrayList<>(Nemesis.lockChecks(s, true));
            v.addAll(Checkers.election(events, s.history.faults()));
            for (Checkers.Interval i : Checkers.grantIntervals(events)) {
                if (pinned.contains(i.process()) && i.start() < healAt && i.end() > readOnlyAt) {
                    v.add(i.process() + " believed grant " + i.fence() + " while its server was read-only");
                }
            }
            for (Checkers.Interval i : Checkers.leaderIntervals(events)) {
                if (pinned.contains(i.process()) && i.start() < healAt && i.end() > readOnlyAt) {
                    v.add(i.process() + " believed it led (epoch " + i.fence() + ") while its server was read-only");
                }
            }
            for (Event e : events) {
                if (pinned.contains(e.process()) && e.nanos() > readOnlyAt && e.nanos() < healAt
                        && e.is("info", "session") && ("CONNECTED".equals(e.get("state"))
                        || "RECONNECTED".equals(e.get("state")))) {
                    v.add(e.process() + " got a session while its only server was read-only: " + e);
                }
            }
            // The server's side of it: each refused reconnection of a pinned client is logged.
            long refused;
            try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(
                    ro.dataDir(x).resolveSibling("server" + (x + 1) + ".log"))) {
                refused = lines.filter(l -> l.contains("Refusing session request for not-read-only client")).count();
            }
            if (refused == 0) {
                v.add("the read-only server refused no session request: the pinned clients never reached it");
            }
            String states = pinned.stream().map(w -> w + ":" + events.stream().filter(e -> e.process().equals(w)
                    && e.is("info", "session") && e.nanos() > cut && e.nanos() < healAt).map(e -> e.get("state"))
                    .distinct().collect(java.util.stream.Collectors.joining("/"))).collect(
                    java.util.stream.Collectors.joining(", "));
            assertEquals(List.of(), s.report(v, String.format("read-only %d ms after the cut; %s; it refused our"
                    + " clients' session requests %d times; pinned clients saw %s; e2 led, m1 granted meanwhile;"
                    + " r1 proceeded %d ms after the heal", (readOnlyAt - cut) / 1_000_000, canary, refused, states,
                    (rejoinedAt - healAt) / 1_000_000)));
        }
    }

    /**
     * Proves the server is serving read-only: a plain ZooKeeper handle that allows read-only
     * connections (ours never do) connects to it in read-only mode.
     */
    private static String readOnlyCanary(int port) throws Exception {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        ZooKeeper zk = new ZooKeeper("127.0.0.1:" + port, 3000, event -> seen.add(event.getState().name()), true);
        try {
            Await.until("a canBeReadOnly client to connect read-only (saw " + seen + ")",
                    () -> zk.getState() == ZooKeeper.States.CONNECTEDREADONLY, Duration.ofSeconds(20));
            return "a canBeReadOnly client connected read-only";
        } finally {
            zk.close();
        }
    }
}
