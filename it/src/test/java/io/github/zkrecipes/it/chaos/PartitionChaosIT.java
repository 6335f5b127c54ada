package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.StringJoiner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Server-server partitions ({@code -Pchaos}, rows 16 and 17). Clients keep reaching every server.
 *
 * <p>Every server reaches each peer's quorum and election ports through a proxy of its own
 * ({@link ServerEnsemble} with proxied peers). Not every connection between two servers crosses
 * one: a server that receives an election connection from a lower id closes it and dials back the
 * address that peer advertised, its real election port ({@code QuorumCnxManager}). So:
 * <ul>
 *   <li>with root and iptables, a partition is made by {@link Netfilter} rules: REJECT with
 *       {@code tcp-reset} (each sender gets a RST: open connections reset, connects refused) or,
 *       for about half of row 17's partitions, DROP (silence). They match the ports of the cut
 *       links' proxies (which then only relay), an isolated server's own quorum and election
 *       ports, and, by their port pairs read from /proc, every connection between the cut servers
 *       that bypasses the proxies. No new bypass connection can start under the rules: one is
 *       only dialled in answer to a connection through a proxy, which the rules stop.
 *   <li>otherwise, the proxies themselves reject the cut links (reset, refuse). The bypass
 *       connections stay up, so election traffic may leak across the partition; the row's note
 *       says so and counts them. {@code -Dchaos.proxyPartitions=true} forces this form.
 * </ul>
 */
class PartitionChaosIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static ServerEnsemble ensemble;
    /** The iptables rules of this class, or null: proxy partitions. */
    private static Netfilter netfilter;
    private static String proxyWhy;
    /** {dropped, rejected} packets over the partitions of the running row. */
    private static final long[] packets = new long[2];

    @BeforeAll
    static void startEnsemble() {
        proxyWhy = Boolean.getBoolean("chaos.proxyPartitions") ? "-Dchaos.proxyPartitions=true"
                : Netfilter.unavailable().orElse(null);
        ensemble = new ServerEnsemble("partition-" + Long.toHexString(System.nanoTime()), true).start();
        if (proxyWhy == null) {
            netfilter = Netfilter.open();
        } else {
            System.out.println("PartitionChaosIT: proxy partitions (may leak election dial-backs): " + proxyWhy);
        }
    }

    @AfterAll
    static void stopEnsemble() {
        try {
            if (netfilter != null) {
                netfilter.close();
            }
        } finally {
            if (ensemble != null) {
                ensemble.close();
            }
            ChaosTable.print("PartitionChaosIT");
        }
    }

    private static Scenario lockScenario(String row, String title) {
        packets[0] = 0;
        packets[1] = 0;
        return Scenario.lockWorkers(row, title, ensemble, 16_000);
    }

    @Test
    void row16_aPartitionIsolatingTheLeaderLetsOnlyTheMajorityProceed() throws Exception {
        try (Scenario s = lockScenario("16", "lock: server partition isolating the ensemble leader")) {
            s.progress(3, PATIENCE);
            // The lowest-id follower, restarted, dials every peer through the proxies; the higher
            // ids close those and dial back its real election port: connections that bypass the
            // proxies, which the partition must cut too (a proxy partition leaks through them).
            int low = ensemble.leader() == 0 ? 1 : 0;
            s.history.fault("kill -9 and restart the lowest-id follower (makes dialled-back connections)",
                    "server", low);
            ensemble.kill9(low);
            ensemble.restart(low);
            ensemble.awaitAllServing();
            s.progress(2, PATIENCE);
            int leader = ensemble.leader();
            Leaders leaders = new Leaders();
            leaders.sample();
            long t0 = System.nanoTime();
            s.history.fault("isolate server", "server", leader, "how", how(false));
            int bypass = isolate(leader, false);
            long elected;
            long progressed;
            long stepped;
            int newLeader;
            try {
                long[] down = {-1};
                Await.until("a new leader in the majority", () -> {
                    Set<Integer> now = leaders.sample();
                    if (down[0] < 0 && !now.contains(leader)) {
                        down[0] = System.nanoTime();
                    }
                    return now.stream().anyMatch(i -> i != leader);
                }, PATIENCE);
                elected = System.nanoTime();
                newLeader = leaders.sample().stream().filter(i -> i != leader).findFirst().orElse(-1);
                // Progress: a release (a delete: a write the new leader committed) after it was seen.
                progressed = s.history.await("a release committed by the majority",
                        e -> e.nanos() > elected && e.is("ok", "release"), PATIENCE).nanos();
                s.progress(5, PATIENCE);
                // The minority grants nothing: the isolated server stops serving and stays so.
                Await.until("the isolated server to stop serving", () -> ensemble.mode(leader).equals("down"),
                        PATIENCE);
                stepped = down[0] < 0 ? System.nanoTime() : down[0];
                Await.stillFalse("the isolated server serving again during the partition",
                        () -> !ensemble.mode(leader).equals("down"), Duration.ofSeconds(3));
            } finally {
                heal();
            }
            ensemble.awaitAllServing();
            leaders.sample();
            s.progress(3, PATIENCE);
            s.stopAll();
            List<String> v = Nemesis.lockChecks(s, true);
            String note = String.format("%s; server %d restarted first; server %d isolated: it stopped leading "
                    + "after %d ms, server %d elected after %d ms, majority progressed %d ms into the partition; "
                    + "leaders %s (%d changes); %s",
                    form("REJECT tcp-reset on the proxy legs and the leader's real ports", bypass), low + 1,
                    leader + 1, ms(stepped - t0), newLeader + 1, ms(elected - t0), ms(progressed - t0), leaders,
                    leaders.changes(), packetNote());
            System.out.println("row 16: " + note);
            assertEquals(List.of(), s.report(v, note));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "seed {0}")
    @org.junit.jupiter.params.provider.MethodSource("io.github.zkrecipes.it.chaos.Nemesis#seeds")
    void row17_randomPartitionsAndBridgesUnderLoad(long seed) throws Exception {
        Random random = new Random(seed);
        try (Scenario s = lockScenario("17", "lock: 8 seeded random partitions (isolate one / bridge)")) {
            s.progress(3, PATIENCE);
            Leaders leaders = new Leaders();
            leaders.sample();
            int bypass = 0;
            int silent = 0;
            List<Long> during = new ArrayList<>();
            long afterHealMax = 0;
            for (int i = 0; i < 8; i++) {
                Duration length = Duration.ofMillis(1000 + random.nextInt(5000));
                int a = random.nextInt(ServerEnsemble.SIZE);
                boolean isolate = random.nextBoolean();
                int b = isolate ? -1 : (a + 1 + random.nextInt(ServerEnsemble.SIZE - 1)) % ServerEnsemble.SIZE;
                boolean drop = random.nextBoolean() && netfilter != null;
                silent += drop ? 1 : 0;
                long t0 = System.nanoTime();
                if (isolate) {
                    s.history.fault("isolate server", "server", a, "ms", length.toMillis(), "how", how(drop));
                    bypass += isolate(a, drop);
                } else {
                    s.history.fault("cut link (bridge)", "a", a, "b", b, "ms", length.toMillis(), "how", how(drop));
                    bypass += cut(List.of(new int[] {a, b}), new ArrayList<>(), drop);
                }
                long end = t0 + length.toNanos();
                try {
                    // The fault's own length, noting the leaders every 100 ms meanwhile.
                    long[] next = {t0};
                    Await.until("the partition's length to pass", () -> {
                        long now = System.nanoTime();
                        if (now - next[0] >= 0) {
                            leaders.sample();
                            next[0] = now + 100_000_000L;
                        }
                        return now - end >= 0;
                    }, length.plusSeconds(5));
                } finally {
                    heal();
                }
                s.history.events().stream().filter(e -> e.nanos() > t0 && e.nanos() < end && e.is("ok", "release"))
                        .mapToLong(Event::nanos).min().ifPresent(first -> during.add(ms(first - t0)));
                ensemble.awaitAllServing();
                leaders.sample();
                afterHealMax = Math.max(afterHealMax, s.progress(2, PATIENCE));
            }
            s.stopAll();
            List<String> v = Nemesis.lockChecks(s, true);
            during.sort(null);
            String note = String.format("%s; seed %d, %d of 8 silent (DROP); majority progressed during %d of 8 "
                    + "partitions (first release after median %d ms, max %d ms); max %d ms to progress after a heal; "
                    + "leaders %s (%d changes); %s",
                    form("REJECT tcp-reset or DROP on the proxy legs and an isolated server's real ports", bypass),
                    seed, silent, during.size(),
                    during.isEmpty() ? -1 : during.get(during.size() / 2),
                    during.isEmpty() ? -1 : during.get(during.size() - 1), afterHealMax, leaders, leaders.changes(),
                    packetNote());
            System.out.println("row 17: " + note);
            assertEquals(List.of(), s.report(v, note));
        }
    }

    /** Cuts {@code server} off from both other servers; returns the bypass connections found (see {@link #cut}). */
    private static int isolate(int server, boolean drop) {
        List<int[]> links = new ArrayList<>();
        for (int peer = 0; peer < ServerEnsemble.SIZE; peer++) {
            if (peer != server) {
                links.add(new int[] {server, peer});
            }
        }
        // Only peers use a server's quorum and election ports, through a proxy or dialled back.
        return cut(links, new ArrayList<>(List.of(ensemble.quorumPort(server), ensemble.electionPort(server))), drop);
    }

    /**
     * Cuts both directions of each link {a, b} (and every connection to or from {@code ports}),
     * rejecting or, with {@code drop}, dropping. With iptables, the connections that bypass the
     * proxies are cut too; with proxy partitions they are not. Returns how many there were.
     */
    private static int cut(List<int[]> links, List<Integer> ports, boolean drop) {
        if (netfilter == null) {
            links.forEach(l -> ensemble.cut(l[0], l[1]));
            return bypassing(links).size();
        }
        for (int[] l : links) {
            ports.addAll(ensemble.peerProxyPorts(l[0], l[1]));
            ports.addAll(ensemble.peerProxyPorts(l[1], l[0]));
        }
        if (drop) {
            netfilter.drop(1.0, ports);
        } else {
            netfilter.reject(ports);
        }
        Set<Netfilter.Connection> cut = new LinkedHashSet<>();
        for (int pass = 0; pass < 2; pass++) { // once more after the rules: none may have started meanwhile
            for (Netfilter.Connection c : bypassing(links)) {
                if (!cut.add(c)) {
                    continue;
                }
                if (drop) {
                    netfilter.dropConnection(c.localPort(), c.remotePort());
                } else {
                    netfilter.rejectConnection(c.localPort(), c.remotePort());
                }
            }
        }
        return cut.size();
    }

    /**
     * The connections between the servers of {@code links} that do not cross a proxy: a socket of
     * one server connected straight to the other's real quorum or election port (read from /proc).
     */
    private static Set<Netfilter.Connection> bypassing(List<int[]> links) {
        Set<Netfilter.Connection> out = new LinkedHashSet<>();
        for (int[] l : links) {
            for (int[] fromTo : new int[][] {l, {l[1], l[0]}}) {
                Set<Integer> real = Set.of(ensemble.quorumPort(fromTo[1]), ensemble.electionPort(fromTo[1]));
                for (Netfilter.Connection c : Netfilter.connectionsOf(ensemble.pid(fromTo[0]))) {
                    if (real.contains(c.remotePort())) {
                        out.add(c);
                    }
                }
            }
        }
        return out;
    }

    /** Ends the partition; with iptables, adds its packet counts to the row's first. */
    private static void heal() {
        if (netfilter == null) {
            ensemble.healPeers();
            return;
        }
        try {
            long[] c = netfilter.counts();
            packets[0] += c[1];
            packets[1] += c[2];
        } finally {
            netfilter.heal();
        }
    }

    private static String how(boolean drop) {
        return netfilter == null ? "proxy reject" : drop ? "iptables DROP" : "iptables REJECT";
    }

    private static String form(String rules, int bypass) {
        return netfilter == null
                ? "proxy partition (may leak election dial-backs: connections that bypassed the proxies, not cut: "
                        + bypass + ")"
                : "iptables partition (" + rules + "; connections that bypassed the proxies, cut too: " + bypass + ")";
    }

    private static String packetNote() {
        return netfilter == null ? "no packet counts (proxy partition)"
                : String.format("%d packets rejected, %d dropped", packets[1], packets[0]);
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    /** The servers seen leading, in the order they first appeared as a new leader. */
    private static final class Leaders {
        private final List<Integer> order = new ArrayList<>();
        private Set<Integer> last = Set.of();

        /** Which servers say they lead now; a server not among the last sample's is a new leader. */
        Set<Integer> sample() {
            Set<Integer> now = new LinkedHashSet<>();
            for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                if (ensemble.mode(i).equals("leader")) {
                    now.add(i);
                }
            }
            for (int i : now) {
                if (!last.contains(i) && (order.isEmpty() || order.get(order.size() - 1) != i)) {
                    order.add(i);
                }
            }
            last = now;
            return now;
        }

        int changes() {
            return Math.max(0, order.size() - 1);
        }

        @Override
        public String toString() {
            StringJoiner j = new StringJoiner(">");
            order.forEach(i -> j.add("s" + (i + 1)));
            return j.toString();
        }
    }
}
