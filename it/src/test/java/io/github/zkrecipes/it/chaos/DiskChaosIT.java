package io.github.zkrecipes.it.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.testing.Await;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Row 20 ({@code -Pchaos}): server 1's data directory is a 16 MB tmpfs, filled until 64 KB are
 * left; the lock workload runs until that server can no longer log and stops serving; the other
 * two carry on; then space is freed and the server restarted. Nothing acknowledged may be lost.
 * Skipped with the reason when tmpfs cannot be mounted (not root).
 */
class DiskChaosIT {
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static ServerEnsemble ensemble;
    private static boolean mounted;

    @BeforeAll
    static void startEnsemble() {
        ensemble = new ServerEnsemble("disk-" + Long.toHexString(System.nanoTime()));
        mounted = ensemble.limitDisk(0, 16);
        ensemble.start();
    }

    @AfterAll
    static void stopEnsemble() {
        if (ensemble != null) {
            ensemble.close();
        }
        ChaosTable.print("DiskChaosIT");
    }

    private static long progress(Scenario s, int n) {
        long since = System.nanoTime();
        Await.until(n + " more operations", () -> s.history.count(e -> e.nanos() > since
                && e.is("ok", "release")) >= n, PATIENCE);
        return (System.nanoTime() - since) / 1_000_000;
    }

    @Test
    void row20_aServerWhoseDiskIsFullDropsOutAndNothingAcknowledgedIsLost() throws Exception {
        if (!mounted) {
            ChaosTable.add(new ChaosTable.Row("20", "disk full on a server", 0, 0, 0, "skipped: cannot mount tmpfs"));
        }
        Assumptions.assumeTrue(mounted, "row 20 needs root to mount a size-limited tmpfs for a server's data");
        try (Scenario s = new Scenario("20", "lock: server 1's disk full (tmpfs), then freed and restarted",
                ensemble, "/lock", 20)) {
            s.worker("w1", "lock");
            s.worker("w2", "lock");
            s.worker("w3", "lock");
            s.awaitStarted();
            progress(s, 3);
            String role = ensemble.mode(0);
            Path data = ensemble.dataDir(0);
            Path junk = data.resolve("junk");
            s.history.fault("fill disk", "server", 0, "role", role);
            try (OutputStream out = Files.newOutputStream(junk)) {
                byte[] block = new byte[64 * 1024];
                while (Files.getFileStore(data).getUsableSpace() > 2 * block.length) {
                    out.write(block);
                }
            } catch (java.io.IOException full) {
                // filled to the brim: fine
            }
            Await.until("server 1 to stop serving for lack of disk", () -> ensemble.mode(0).equals("down"), PATIENCE);
            long during = progress(s, 5);
            Files.deleteIfExists(junk);
            s.history.fault("free disk and restart", "server", 0);
            ensemble.kill9(0);
            ensemble.restart(0);
            ensemble.awaitAllServing();
            progress(s, 3);
            s.stopAll();
            List<String> v = Nemesis.lockChecks(s, true);
            assertEquals(List.of(), s.report(v, "server 1 (" + role + ") dropped out; 5 ops took " + during
                    + " ms without it; rejoined after restart"));
        }
    }
}
