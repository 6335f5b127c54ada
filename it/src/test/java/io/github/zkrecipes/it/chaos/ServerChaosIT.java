package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ensemble-side rows of the full matrix ({@code -Pchaos}): 12-15 (leader paused, quorum lost
 * shorter and longer than T) and a seeded random mix of client-link and server faults; rows 19
 * and 21 are reported as skipped with the reason (16 and 17: {@link PartitionChaosIT}; 20:
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

    @Test
    void row12_theEnsembleLeaderPausedBrieflyGrantsNothingTwice() throws Exception {
        try (Scenario s = lockScenario("12", "lock: ensemble leader SIGSTOPped 1.5 s")) {
            progress(s, 3);
            pauseFor(List.of(ensemble.leader()), Duration.ofMillis(1500), s);
            long p = progress(s, 5);
            assertEquals(List.of(), finish(s, "progress " + p + " ms after resume"));
        }
    }

    @Test
    void row13_theEnsembleLeaderPausedLongerThanTheSessionTimeoutIsReplaced() throws Exception {
        try (Scenario s = lockScenario("13", "lock: ensemble leader SIGSTOPped 6 s (> T)")) {
            progress(s, 3);
            pauseFor(List.of(ensemble.leader()), Duration.ofSeconds(6), s);
            long p = progress(s, 5);
            assertEquals(List.of(), finish(s, "progress " + p + " ms after resume"));
        }
    }

    @Test
    void row14_quorumLostShorterThanTheSessionTimeoutGrantsNothingAndKeepsHolders() throws Exception {
        try (Scenario s = lockScenario("14", "lock: quorum lost 2 s (2 followers SIGSTOPped)")) {
            progress(s, 3);
            pauseFor(twoServers(), Duration.ofSeconds(2), s);
            long p = progress(s, 5);
            assertEquals(List.of(), finish(s, "progress " + p + " ms after restore"));
        }
    }

    @Test
    void row15_quorumLostLongerThanTheSessionTimeoutMakesNoDoubleHolderAndRecovers() throws Exception {
        try (Scenario s = lockScenario("15", "lock: quorum lost 7 s (> T), restored")) {
            progress(s, 3);
            pauseFor(twoServers(), Duration.ofSeconds(7), s);
            long p = progress(s, 5);
            List<String> v = finish(s, "progress " + p + " ms after restore");
            assertTrue(p < Scenario.T.plusSeconds(20).toMillis(), "progress within T + election + slack: " + p);
            assertEquals(List.of(), v);
        }
    }

    @Test
    void row17_randomFaultsUnderLoad() throws Exception {
        long seed = Long.getLong("chaos.seed", 17);
        Random random = new Random(seed);
        try (Scenario s = lockScenario("mix", "lock: 10 seeded random client/server faults")) {
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

    @Test
    void rows19_21_needDeviceOrConfigFaults() {
        ChaosTable.add(new ChaosTable.Row("19,21", "slow fsync / read-only server", 0, 0, 0,
                "skipped: no dm-delay harness yet; our sessions never enable read-only"));
        Assumptions.abort("row 19 is not injected yet (slow fsync needs dm-delay); row 21 does not apply while no"
                + " client enables canBeReadOnly");
    }
}
