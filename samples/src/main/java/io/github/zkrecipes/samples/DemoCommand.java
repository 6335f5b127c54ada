package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.UUID;
import org.apache.zookeeper.util.ServiceUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zkr demo}: a fair lock with fencing tokens, told step by step on the terminal. Three
 * sessions, [alice], [bob] and [carol], take the lock in queue order with ever larger fences
 * (act one); then [bob]'s session is expired on the ensemble while he holds the lock, [carol] is
 * granted, and [bob]'s late guarded write is rejected while [carol]'s value stays (act two).
 *
 * <p>Without {@code --connect} it starts an embedded 3-server ensemble (tick time 200 ms) and
 * works under {@code /demo}. With {@code --connect} it works under a fresh {@code
 * /zkr-demo-<random>} on that ensemble. Either way it removes its znodes at the end. It takes a
 * few seconds and never sleeps: every step waits on a future or a latch.
 *
 * <p>Uses only the core: {@link ZkSession}, the queue engine and a bare {@link
 * io.github.zkrecipes.Grant} subclass, since the lock recipe lives in its own module.
 */
@Command(name = "demo",
        description = {
            "A fair lock with fencing tokens, told step by step.",
            "%n[alice], [bob] and [carol] take turns with ever larger fences; then [bob]'s session expires "
                    + "while he holds the lock, [carol] is granted, and [bob]'s late guarded write is rejected.",
            "%nWithout --connect it runs on an embedded 3-server ZooKeeper ensemble.%n"})
public final class DemoCommand extends ZkrCommand {
    private static final int EMBEDDED_SERVERS = 3;
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(10);

    @Option(names = "--connect", paramLabel = "host:port[,...]",
            description = "A ZooKeeper ensemble to use instead of the embedded one; the demo works under a fresh "
                    + "/zkr-demo-<random> znode and removes it at the end.")
    String connect;

    @Override
    protected void run(PrintWriter out) throws Exception {
        long started = System.nanoTime();
        Narrative say = new Narrative(out);
        String base = connect == null ? "/demo" : "/zkr-demo-" + UUID.randomUUID().toString().substring(0, 8);
        try (Ensemble zk = Ensemble.open(connect);
             ZkSession alice = open(zk, "alice");
             ZkSession bob = open(zk, "bob");
             ZkSession carol = open(zk, "carol")) {
            say.heading("zkr demo: a fair lock with fencing tokens, on ZooKeeper " + zooKeeperVersion());
            if (zk.embedded() != null) {
                say.step("Started an embedded %d-server ensemble in %.1f s%s: %s", zk.embedded().size(),
                        zk.startSeconds(), zk.attempts() > 1 ? " (second try, on fresh ports)" : "",
                        zk.connectString());
            } else {
                say.step("Connected to %s; working under %s (removed at the end).", zk.connectString(), base);
            }
            say.step("Opened three sessions: [alice] 0x%x, [bob] 0x%x, [carol] 0x%x.", alice.sessionId(),
                    bob.sessionId(), carol.sessionId());

            Exception failure = null;
            try {
                say.heading("Act one: taking turns");
                new LockStory(say, zk.connectString(), base, alice, bob, carol).tell();
            } catch (Exception e) {
                failure = e;
            }
            try {
                // The lock directory is empty by now (or soon: sessions are closing); remove it and the data.
                alice.curator().delete().quietly().deletingChildrenIfNeeded().forPath(base);
            } catch (Exception e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }
        say.heading(String.format("Closed the sessions%s. Done in %.1f s.",
                connect == null ? " and stopped the ensemble" : " and removed " + base,
                (System.nanoTime() - started) / 1e9));
    }

    private static String zooKeeperVersion() {
        String full = org.apache.zookeeper.Version.getFullVersion(); // "3.9.4-<revision>, built on ..."
        return full.split("[-,]", 2)[0];
    }

    private static ZkSession open(Ensemble zk, String name) {
        return ZkSession.builder(zk.connectString())
                .participantId(name)
                .connectionTimeout(CONNECTION_TIMEOUT)
                .connect();
    }

    /** The ensemble the demo runs on: embedded (and stopped on close), or the user's. */
    private record Ensemble(String connectString, EmbeddedZooKeeper embedded, double startSeconds, int attempts)
            implements AutoCloseable {
        static Ensemble open(String connect) {
            if (connect != null) {
                return new Ensemble(connect, null, 0, 0);
            }
            long t0 = System.nanoTime();
            EmbeddedZooKeeper zk;
            int attempts = 1;
            try {
                zk = EmbeddedZooKeeper.builder().servers(EMBEDDED_SERVERS).start();
            } catch (IllegalStateException firstTry) {
                // Free ports are picked before the servers bind them; another process may take one meanwhile.
                attempts++;
                zk = EmbeddedZooKeeper.builder().servers(EMBEDDED_SERVERS).start();
            }
            // Every embedded server's start makes System.exit ZooKeeper's fatal-error handler; a server
            // failing later (its election port taken, say) must not end zkr's JVM, nor a test's: the
            // demo then fails with a message, or goes on with the quorum that is left.
            ServiceUtils.setSystemExitProcedure(ServiceUtils.LOG_ONLY);
            return new Ensemble(zk.connectString(), zk, (System.nanoTime() - t0) / 1e9, attempts);
        }

        @Override
        public void close() {
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
