package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Server-server partitions ({@code -Pchaos}, rows 16 and 17), made without iptables: every server
 * reaches its peers' quorum and election ports through proxies in the test JVM, which blackhole a
 * link in both directions (sockets stay open, nothing is delivered, as with a dropped route).
 * Clients keep reaching every server.
 */
class PartitionChaosIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static ServerEnsemble ensemble;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("partition-" + Long.toHexString(System.nanoTime()), true).start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("PartitionChaosIT");
    }

    private static Scenario lockScenario(String row, String title) {
        return Scenario.lockWorkers(row, title, ensemble, 16_000);
    }

    private static long progress(Scenario s, int n) {
        return s.progress(n, PATIENCE);
    }

    @Test
    void row16_aPartitionIsolatingTheLeaderLetsOnlyTheMajorityProceed() throws Exception {
        try (Scenario s = lockScenario("16", "lock: server partition isolating the ensemble leader")) {
            progress(s, 3);
            int leader = ensemble.leader();
            s.history.fault("isolate server", "server", leader);
            ensemble.isolate(leader);
            long during;
            try {
                Await.until("a new leader in the majority", () -> {
                    for (int i = 0; i < ServerEnsemble.SIZE; i++) {
                        if (i != leader && ensemble.mode(i).equals("leader")) {
                            return true;
                        }
                    }
                    return false;
                }, PATIENCE);
                during = progress(s, 5);
            } finally {
                ensemble.healPeers();
            }
            ensemble.awaitAllServing();
            progress(s, 3);
            s.stopAll();
            List<String> v = Nemesis.lockChecks(s, true);
            assertEquals(List.of(), s.report(v, "majority progressed " + during + " ms into the partition"));
        }
    }

    @Test
    void row17_randomPartitionsAndBridgesUnderLoad() throws Exception {
        long seed = Long.getLong("chaos.seed", 17);
        Random random = new Random(seed);
        try (Scenario s = lockScenario("17", "lock: 8 seeded random partitions (isolate one / bridge)")) {
            progress(s, 3);
            for (int i = 0; i < 8; i++) {
                Duration length = Duration.ofMillis(1000 + random.nextInt(5000));
                int a = random.nextInt(ServerEnsemble.SIZE);
                if (random.nextBoolean()) {
                    s.history.fault("isolate server", "server", a, "ms", length.toMillis());
                    ensemble.isolate(a);
                } else {
                    int b = (a + 1 + random.nextInt(ServerEnsemble.SIZE - 1)) % ServerEnsemble.SIZE;
                    s.history.fault("cut link (bridge)", "a", a, "b", b, "ms", length.toMillis());
                    ensemble.cut(a, b);
                }
                try {
                    Nemesis.faultLasts(length);
                } finally {
                    ensemble.healPeers();
                }
                ensemble.awaitAllServing();
                progress(s, 2);
            }
            s.stopAll();
            List<String> v = Nemesis.lockChecks(s, true);
            assertEquals(List.of(), s.report(v, "seed " + seed));
        }
    }
}
