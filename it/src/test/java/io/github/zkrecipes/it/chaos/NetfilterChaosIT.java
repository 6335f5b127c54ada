package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Packet-level faults made with iptables on loopback ({@code -Pchaos}; root and iptables only,
 * skipped otherwise): rows a TCP proxy cannot make.
 * <ul>
 *   <li>18: 30% of the packets between the lock workers and the servers dropped at random, in
 *       both directions (and, as 18s, 30% of the server-server packets);
 *   <li>16 (silent): the ensemble leader cut off from both other servers by DROP rules: sockets
 *       stay open and nothing is delivered, not even a SYN or a RST.
 * </ul>
 * Every server reaches each peer through a proxy of its own ({@link ServerEnsemble} with proxied
 * peers) that here only relays: the rules match the ports of the server-to-proxy legs, each of
 * which carries exactly one server's connections to one peer. (Without the proxies, all servers
 * share 127.0.0.1, and a leader's outgoing election connection to a follower shares its
 * destination port with the other follower's: no port rule could tell them apart.)
 *
 * <p>Two things the proxies did that a network would not, both seen in row 16's server logs: some
 * election connections bypass them (a server dials back a lower id's real election port; {@link
 * #isolateSilently} finds and cuts those too); and a follower that dialled a just-elected leader
 * before the leader listened was accepted by the proxy and then reset, where a refused connect is
 * retried by ZooKeeper's learner (the majority then proceeded after about 6.5 s instead of 1.5-2
 * s). The server-server proxies now retry a refused backend connect for up to 1 s before
 * resetting the client ({@link Proxy}).
 */
class NetfilterChaosIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    /** The workers' tryAcquire timeout (WorkerMain) and the slack we allow on top of it. */
    private static final Duration ACQUIRE_TIMEOUT = Duration.ofSeconds(20);
    private static final Duration ACQUIRE_SLACK = Duration.ofSeconds(5);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        String why = Netfilter.unavailable().orElse(null);
        Assumptions.assumeTrue(why == null, "iptables rows skipped: " + why);
        ensemble = new ServerEnsemble("netfilter-" + Long.toHexString(System.nanoTime()), true).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("NetfilterChaosIT");
    }

    @Test
    void row18_thirtyPercentPacketLossOnTheClientLinksChangesNoSafetyAndLeaksNothing() throws Exception {
        try (Netfilter nf = Netfilter.open();
                Scenario s = Scenario.lockWorkers("18", "lock: 30% of client<->server packets dropped (iptables), 30 s",
                        ensemble, 18_000)) {
            s.progress(3, PATIENCE);
            List<Integer> ports = new ArrayList<>();
            for (String w : List.of("w1", "w2", "w3")) {
                for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                    ports.add(s.link(w).proxy(i).port());
                }
            }
            long t0 = System.nanoTime();
            s.history.fault("drop 30% of packets", "who", "w1,w2,w3", "ports", ports.size());
            nf.drop(0.3, ports);
            long[] counts;
            try {
                Nemesis.faultLasts(Duration.ofSeconds(30));
                // The workers finish their operation, close and count their threads and sockets
                // under the loss too.
                s.stopAll();
            } finally {
                counts = nf.counts();
                nf.heal();
            }
            long t1 = System.nanoTime();
            List<String> v = new ArrayList<>(Nemesis.lockChecks(s, true));
            if (counts[1] <= 0) {
                v.add("no packet was dropped: the fault did not bite");
            }
            // Each worker reports its leftover threads and TCP sockets after close (Checkers.leaks
            // fails on any); one that never reported could hide a leak.
            long leakReports = s.history.count(e -> e.is("info", "leaks"));
            if (leakReports != 3) {
                v.add(leakReports + " of 3 workers reported their leftovers after close");
            }
            Latency lat = acquireLatency(s.history.events(), t0, t1);
            if (lat.max() > ACQUIRE_TIMEOUT.plus(ACQUIRE_SLACK).toMillis()) {
                v.add("an acquire took " + lat.max() + " ms > timeout " + ACQUIRE_TIMEOUT.toMillis() + " ms + slack");
            }
            String note = String.format("dropped %d of %d packets; acquires under loss %s; connection states %s; "
                    + "acquire max %d ms, p50 %d ms (max before the loss %d ms); %d of 3 workers closed with 0 "
                    + "threads, 0 sockets left", counts[1], counts[0], lat.outcomes(), sessionStates(s, t0), lat.max(),
                    lat.p50(), lat.maxBefore(), leakReports);
            System.out.println("row 18: " + note);
            assertEquals(List.of(), s.report(v, note));
        }
    }

    @Test
    void row18s_thirtyPercentPacketLossBetweenServersChangesNoSafety() throws Exception {
        try (Netfilter nf = Netfilter.open();
                Scenario s = Scenario.lockWorkers("18s", "lock: 30% of server<->server packets dropped (iptables), 20 s",
                        ensemble, 18_500)) {
            s.progress(3, PATIENCE);
            List<Integer> ports = new ArrayList<>();
            for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                ports.add(ensemble.quorumPort(i));
                ports.add(ensemble.electionPort(i));
            }
            long t0 = System.nanoTime();
            s.history.fault("drop 30% of server-server packets", "ports", ports.size());
            nf.drop(0.3, ports);
            long[] counts;
            Map<String, Integer> leaders = new TreeMap<>();
            long t1;
            long releases;
            try {
                // The loss lasts 20 s; meanwhile, every 100 ms, note who leads.
                long end = t0 + Duration.ofSeconds(20).toNanos();
                long[] next = {t0};
                Await.until("the loss to last 20 s", () -> {
                    long now = System.nanoTime();
                    if (now - next[0] >= 0) {
                        leaders.merge(leaderName(), 1, Integer::sum);
                        next[0] = now + 100_000_000L;
                    }
                    return now - end >= 0;
                }, Duration.ofSeconds(30));
                t1 = System.nanoTime();
                releases = s.history.count(e -> e.nanos() > t0 && e.is("ok", "release"));
            } finally {
                counts = nf.counts();
                nf.heal();
            }
            ensemble.awaitAllServing();
            long after = s.progress(3, PATIENCE);
            s.stopAll();
            List<String> v = new ArrayList<>(Nemesis.lockChecks(s, true));
            if (counts[1] <= 0) {
                v.add("no packet was dropped: the fault did not bite");
            }
            Latency lat = acquireLatency(s.history.events(), t0, t1);
            if (lat.max() > ACQUIRE_TIMEOUT.plus(ACQUIRE_SLACK).toMillis()) {
                v.add("an acquire took " + lat.max() + " ms > timeout + slack");
            }
            String note = String.format("dropped %d of %d packets; %d releases in 20 s of loss; leader in 100 ms "
                    + "samples %s; acquires under loss %s, max %d ms; progress %d ms after heal", counts[1], counts[0],
                    releases, leaders, lat.outcomes(), lat.max(), after);
            System.out.println("row 18s: " + note);
            assertEquals(List.of(), s.report(v, note));
        }
    }

    @Test
    void row16_aSilentPartitionIsolatingTheLeaderLetsOnlyTheMajorityProceed() throws Exception {
        try (Netfilter nf = Netfilter.open();
                Scenario s = Scenario.lockWorkers("16d", "lock: leader isolated from its peers by iptables DROP (silent)",
                        ensemble, 16_500)) {
            s.progress(3, PATIENCE);
            int leader = ensemble.leader();
            s.history.fault("kill -9 and restart the lowest-id follower (makes dialled-back connections)");
            int restarted = restartLowestFollower(leader);
            s.progress(2, PATIENCE);
            long t0 = System.nanoTime();
            s.history.fault("isolate server silently (DROP)", "server", leader);
            int direct = isolateSilently(nf, leader);
            long elected;
            long progressed;
            long stepDown;
            Set<String> isolatedModes = new LinkedHashSet<>();
            int newLeader;
            long[] counts;
            try {
                long[] stepped = {-1};
                int[] found = {-1};
                Await.until("a new leader in the majority", () -> {
                    String m = ensemble.mode(leader);
                    isolatedModes.add(m);
                    if (stepped[0] < 0 && !m.equals("leader")) {
                        stepped[0] = System.nanoTime();
                    }
                    for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                        if (i != leader && ensemble.mode(i).equals("leader")) {
                            found[0] = i;
                            return true;
                        }
                    }
                    return false;
                }, PATIENCE);
                elected = System.nanoTime();
                newLeader = found[0];
                // Progress: a release (a delete, so a write committed by the new leader) invoked
                // after the new leader was seen.
                long since = elected;
                Event first = s.history.await("a release committed by the majority", e -> e.nanos() > since
                        && e.is("ok", "release"), PATIENCE);
                progressed = first.nanos();
                s.progress(5, PATIENCE);
                // The minority grants nothing: the isolated server stopped serving and stays so.
                Await.until("the isolated server to stop serving", () -> {
                    String m = ensemble.mode(leader);
                    isolatedModes.add(m);
                    return m.equals("down");
                }, PATIENCE);
                stepDown = stepped[0] < 0 ? System.nanoTime() : stepped[0];
                Await.stillFalse("the isolated server serving again during the partition",
                        () -> !ensemble.mode(leader).equals("down"), Duration.ofSeconds(3));
            } finally {
                counts = nf.counts();
                nf.heal();
            }
            long healed = System.nanoTime();
            ensemble.awaitAllServing();
            long rejoined = System.nanoTime();
            String oldLeaderMode = ensemble.mode(leader);
            s.progress(3, PATIENCE);
            s.stopAll();
            List<String> v = new ArrayList<>(Nemesis.lockChecks(s, true));
            if (!oldLeaderMode.equals("follower")) {
                v.add("the old leader is " + oldLeaderMode + " after the heal, not a follower");
            }
            String note = String.format("server %d isolated (%d packets dropped; after server %d's restart %d of "
                    + "its election connections bypassed the proxies, dropped too); it stopped serving after %d ms "
                    + "(modes seen %s); server %d elected after %d ms; majority progressed %d ms into the partition; "
                    + "old leader rejoined as %s %d ms after the heal", leader + 1, counts[1], restarted + 1, direct,
                    ms(stepDown - t0),
                    isolatedModes, newLeader + 1, ms(elected - t0), ms(progressed - t0), oldLeaderMode,
                    ms(rejoined - healed));
            System.out.println("row 16d: " + note);
            assertEquals(List.of(), s.report(v, note));
        }
    }

    /**
     * Restarts the follower with the lowest id (kill -9, same data) and waits until it serves. On
     * start it dials every peer through the proxies; a peer with a higher id closes that and dials
     * back the real election port the follower advertised, so the leader then holds connections
     * that bypass the proxies, and the isolation must cut those too. Returns the follower's index.
     */
    private static int restartLowestFollower(int leader) {
        int f = leader == 0 ? 1 : 0;
        ensemble.kill9(f);
        ensemble.restart(f);
        ensemble.awaitAllServing();
        if (ensemble.leader() != leader) {
            throw new AssertionError("the leader changed when a follower restarted");
        }
        return f;
    }

    /**
     * Cuts {@code leader} off from both other servers with DROP rules: the proxy legs of every
     * link between them (all connections a server opens from its zoo.cfg), the leader's own quorum
     * and election ports (connections dialled back to the address it advertised), and, by its
     * ephemeral port, each connection the leader dialled back to a follower's real election port.
     * No new connection of the last kind can start once the rules are in: it is only dialled in
     * answer to a connection from the follower, which the first rules stop. Returns how many
     * connections of the last kind there were.
     */
    private static int isolateSilently(Netfilter nf, int leader) {
        List<Integer> ports = new ArrayList<>(List.of(ensemble.quorumPort(leader), ensemble.electionPort(leader)));
        Set<Integer> peerPorts = new HashSet<>();
        for (int f = 0; f < ServerEnsemble.SIZE; f++) {
            if (f != leader) {
                ports.addAll(ensemble.peerProxyPorts(leader, f));
                ports.addAll(ensemble.peerProxyPorts(f, leader));
                peerPorts.add(ensemble.quorumPort(f));
                peerPorts.add(ensemble.electionPort(f));
            }
        }
        nf.drop(1.0, ports);
        Set<Netfilter.Connection> direct = new LinkedHashSet<>();
        for (int pass = 0; pass < 2; pass++) { // once more after the rules: none may have started meanwhile
            for (Netfilter.Connection c : Netfilter.connectionsOf(ensemble.pid(leader))) {
                if (peerPorts.contains(c.remotePort()) && direct.add(c)) {
                    nf.dropConnection(c.localPort(), c.remotePort());
                }
            }
        }
        System.out.println("row 16d: server " + (leader + 1) + "'s connections that bypass the proxies: " + direct);
        return direct.size();
    }

    private static String leaderName() {
        int l = ensemble.leader();
        return l < 0 ? "none" : "s" + (l + 1);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    /** Connection-state events of the workers since {@code since}, by state. */
    private static Map<String, Integer> sessionStates(Scenario s, long since) {
        Map<String, Integer> out = new TreeMap<>();
        for (Event e : s.history.events()) {
            if (e.nanos() > since && e.is("info", "session")) {
                out.merge(e.get("state"), 1, Integer::sum);
            }
        }
        return out;
    }

    private record Latency(long max, long p50, long maxBefore, Map<String, Integer> outcomes) { }

    /**
     * Every acquire's latency, from its invoke to its ok / fail / info; the max and median of those
     * invoked in [from, to), the max of those before, and how those ended (ok, timeout, errors).
     */
    private static Latency acquireLatency(List<Event> events, long from, long to) {
        Map<String, Long> pending = new HashMap<>();
        List<Long> during = new ArrayList<>();
        long maxBefore = 0;
        Map<String, Integer> outcomes = new TreeMap<>();
        for (Event e : events) {
            if (!e.op().equals("acquire")) {
                continue;
            }
            if (e.type().equals("invoke")) {
                pending.put(e.process(), e.nanos());
                continue;
            }
            Long start = pending.remove(e.process());
            if (start == null) {
                continue;
            }
            long took = ms(e.nanos() - start);
            if (start < from) {
                maxBefore = Math.max(maxBefore, took);
            } else if (start < to) {
                during.add(took);
                String how = e.type().equals("ok") ? "ok" : e.type() + "-" + e.get("error");
                outcomes.merge(how, 1, Integer::sum);
            }
        }
        pending.forEach((p, start) -> outcomes.merge("unfinished", 1, Integer::sum));
        during.sort(null);
        long max = during.isEmpty() ? 0 : during.get(during.size() - 1);
        long p50 = during.isEmpty() ? 0 : during.get(during.size() / 2);
        return new Latency(max, p50, maxBefore, outcomes);
    }
}
