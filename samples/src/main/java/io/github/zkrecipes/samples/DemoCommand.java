package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import java.io.PrintWriter;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code zkr demo}: the recipes at work, told step by step on the terminal. Three sessions,
 * [alice], [bob] and [carol], each acting on a thread of its own ({@link Actor}):
 * <ol>
 *   <li>a fair lock taken in queue order with ever larger fences;
 *   <li>the stale holder: [bob]'s session is expired on the ensemble while he holds the lock,
 *       [carol] is granted, and [bob]'s late guarded write is rejected while [carol]'s value stays;
 *   <li>an election: [alice] leads, her session is expired on the ensemble, [bob] takes over with a
 *       larger epoch, and [alice]'s guarded write as a deposed leader is rejected;
 *   <li>a semaphore of 2 permits among the three;
 *   <li>a read-write lock: readers share, a writer waits for them, a later reader waits behind it;
 *   <li>a double barrier of 3: nobody passes the entry before the third arrives, nor the exit
 *       before the last leaves;
 *   <li>a group seen through a live view (joins, a data change, a leave), and its configuration
 *       changed by compare-and-set, with a stale writer's conflict.
 * </ol>
 *
 * <p>Without {@code --connect} it starts an embedded 3-server ensemble (tick time 200 ms) and
 * works under {@code /demo}. With {@code --connect} it works under a fresh {@code
 * /zkr-demo-<random>} on that ensemble. Either way it removes its znodes at the end. It takes a
 * few seconds and never sleeps: every step waits on a future, or on a read of the queue that
 * shows a waiter in place.
 */
@Command(name = "demo",
        description = {
            "The recipes at work, told step by step: a fair lock with fencing tokens, a stale holder's write "
                    + "rejected, an election with a failover, a semaphore, a read-write lock, a double barrier, a group "
                    + "with its configuration.",
            "%nWithout --connect it runs on an embedded 3-server ZooKeeper ensemble; with --connect it works under "
                    + "a fresh /zkr-demo-<random> znode and removes it at the end.%n"})
public final class DemoCommand extends ZkrCommand {
    private static final int EMBEDDED_SERVERS = 3;

    @Mixin
    ConnectOptions connection;

    @Override
    protected void run(PrintWriter out) throws Exception {
        connection.validate(this);
        long started = System.nanoTime();
        Narrative say = new Narrative(out);
        String base = connection.connect == null ? "/demo" : "/zkr-demo-" + UUID.randomUUID().toString().substring(0, 8);
        try (Ensemble zk = Ensemble.open(connection.connect, EMBEDDED_SERVERS);
             ZkSession aliceSession = connection.session(zk, "alice");
             ZkSession bobSession = connection.session(zk, "bob");
             ZkSession carolSession = connection.session(zk, "carol");
             Actor alice = new Actor("alice", aliceSession);
             Actor bob = new Actor("bob", bobSession);
             Actor carol = new Actor("carol", carolSession)) {
            say.heading("zkr demo: coordination recipes on ZooKeeper " + zooKeeperVersion());
            if (zk.isEmbedded()) {
                say.step("Started an embedded %d-server ensemble in %.1f s%s: %s", zk.embedded().size(),
                        zk.startSeconds(), zk.attempts() > 1 ? " (second try, on fresh ports)" : "",
                        zk.connectString());
            } else {
                say.step("Connected to %s; working under %s (removed at the end).", zk.connectString(), base);
            }
            say.step("Opened three sessions: [alice] 0x%x, [bob] 0x%x, [carol] 0x%x.", aliceSession.sessionId(),
                    bobSession.sessionId(), carolSession.sessionId());

            Exception failure = null;
            try {
                say.heading("Act one: taking turns");
                new LockStory(say, zk.connectString(), base, alice, bob, carol).tell(); // and act two
                say.heading("Act three: an election");
                new ElectionAct(say, zk.connectString(), base, alice, bob, carol).tell();
                say.heading("Act four: a semaphore");
                new SemaphoreAct(say, base, alice, bob, carol).tell();
                say.heading("Act five: a read-write lock");
                new ReadWriteAct(say, base, alice, bob, carol).tell();
                say.heading("Act six: a double barrier");
                new BarrierAct(say, base, alice, bob, carol).tell();
                say.heading("Act seven: a group and its configuration");
                new GroupAct(say, base, alice, bob, carol).tell();
            } catch (Exception e) {
                failure = e;
            }
            try {
                // The recipe directories are empty by now (or soon: sessions are closing); remove them and the data.
                aliceSession.curator().delete().quietly().deletingChildrenIfNeeded().forPath(base);
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
                connection.connect == null ? " and stopped the ensemble" : " and removed " + base,
                (System.nanoTime() - started) / 1e9));
    }

    private static String zooKeeperVersion() {
        String full = org.apache.zookeeper.Version.getFullVersion(); // "3.9.4-<revision>, built on ..."
        return full.split("[-,]", 2)[0];
    }
}
