package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.zookeeper.KeeperException;

/**
 * FAULTS row 5, swept: one recipe operation run through a {@link CuttingRelay} that cuts the
 * connection at each of its requests in turn, once dropping the request and once applying it and
 * swallowing the reply. Used by {@link LockCutIT} and {@link RecipeCutIT}.
 */
final class CutSweep {
    private CutSweep() {}

    /** One operation through the cut session; adds what went wrong to {@code v}. */
    @FunctionalInterface
    interface Round {
        void run(ZkSession cut, ZkSession other, ZkSession admin, List<String> v) throws Exception;
    }

    static ZkSession session(String connect, String namespace) {
        return ZkSession.builder(connect).namespace(namespace).sessionTimeout(Scenario.T)
                .connectionTimeout(Duration.ofSeconds(30)).connect();
    }

    static List<String> children(ZkSession admin, String path) {
        try {
            admin.curator().sync().forPath(path);
            return admin.curator().getChildren().forPath(path);
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        } catch (Exception e) {
            return List.of("(cannot list: " + e + ")");
        }
    }

    /**
     * One hold of a round: if {@code got} is empty, records {@code ifMissing}; otherwise, unless
     * {@code nodesWhileHolding} is null, checks that {@code path} holds exactly one node (else
     * records the count followed by {@code nodesWhileHolding}), then releases it.
     */
    static void holdOnce(java.util.Optional<? extends AutoCloseable> got, String ifMissing, ZkSession admin,
            String path, String nodesWhileHolding, List<String> v) throws Exception {
        if (got.isEmpty()) {
            v.add(ifMissing);
            return;
        }
        if (nodesWhileHolding != null) {
            int n = children(admin, path).size();
            if (n != 1) {
                v.add(n + " " + nodesWhileHolding);
            }
        }
        got.get().close();
    }

    static void awaitEmpty(ZkSession admin, String path, String at, List<String> v) {
        try {
            Await.until("nothing left in " + path, () -> children(admin, path).isEmpty(), Scenario.T.plusSeconds(10));
        } catch (AssertionError e) {
            v.add(at + ": left in " + path + ": " + children(admin, path));
        }
    }

    /**
     * Runs {@code round} through a {@link CuttingRelay} in front of a follower of {@code ensemble}:
     * twice uncut (the second run counts its requests), then cut at each request in turn, both ways.
     * Adds its table row; fails with every violation found.
     */
    static void sweep(ServerEnsemble ensemble, String row, String title, String path, Round round) throws Exception {
        String namespace = "chaos-cut-" + Long.toHexString(System.nanoTime());
        int server = Math.max(0, ensemble.follower());
        try (CuttingRelay relay = new CuttingRelay(ensemble.clientPort(server), "/" + namespace + path);
                ZkSession cut = session("127.0.0.1:" + relay.port(), namespace);
                ZkSession other = session(ensemble.connectString(), namespace);
                ZkSession admin = session(ensemble.connectString(), namespace)) {
            List<String> v = new ArrayList<>();
            relay.arm(0, CuttingRelay.Mode.DROP_REQUEST);
            round.run(cut, other, admin, v); // creates the directories: the counted run is a steady one
            relay.arm(0, CuttingRelay.Mode.DROP_REQUEST);
            round.run(cut, other, admin, v);
            int requests = relay.counted() + 1; // one more position in case a run makes more
            assertTrue(requests >= 2, "the operation makes requests under " + path);
            assertEquals(List.of(), v, "uncut runs");
            int cuts = 0;
            int sweeps = 0;
            for (CuttingRelay.Mode mode : CuttingRelay.Mode.values()) {
                for (int k = 1; k <= requests; k++) {
                    sweeps++;
                    String at = mode + " at request " + k + "/" + requests;
                    relay.arm(k, mode);
                    int before = v.size();
                    try {
                        round.run(cut, other, admin, v);
                    } catch (Exception | AssertionError e) {
                        v.add(at + ": threw " + e);
                    }
                    for (int i = before; i < v.size(); i++) {
                        if (!v.get(i).startsWith(at)) {
                            v.set(i, at + ": " + v.get(i));
                        }
                    }
                    cuts += relay.fired() ? 1 : 0;
                    if (k == 1 && !relay.fired()) {
                        v.add(at + ": the cut did not fire");
                    }
                }
            }
            ChaosTable.add(new ChaosTable.Row(row, title + ": connection cut at each request (dropped / applied-reply-lost)",
                    sweeps, cuts, v.size(), (requests - 1) + "(+1) request positions, each cut both ways; " + cuts + " cuts fired"));
            assertEquals(List.of(), v);
        }
    }
}
