package io.github.zkrecipes.samples;

import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import org.apache.zookeeper.util.ServiceUtils;

/**
 * The ensemble a command runs on: the user's ({@code --connect}), or an embedded one started for
 * the command and stopped by {@link #close()}.
 *
 * @param connectString where clients connect
 * @param embedded the embedded ensemble, or {@code null} for the user's
 * @param startSeconds how long the embedded ensemble took to start
 * @param attempts how many starts it took (ports are picked before they are bound; a race may cost one retry)
 */
record Ensemble(String connectString, EmbeddedZooKeeper embedded, double startSeconds, int attempts)
        implements AutoCloseable {

    /** The user's ensemble if {@code connect} is given, else an embedded one of {@code servers} servers. */
    static Ensemble open(String connect, int servers) {
        if (connect != null) {
            return new Ensemble(connect, null, 0, 0);
        }
        long t0 = System.nanoTime();
        EmbeddedZooKeeper zk;
        int attempts = 1;
        try {
            zk = EmbeddedZooKeeper.builder().servers(servers).start();
        } catch (IllegalStateException firstTry) {
            // Free ports are picked before the servers bind them; another process may take one meanwhile.
            attempts++;
            zk = EmbeddedZooKeeper.builder().servers(servers).start();
        }
        // Every embedded server's start makes System.exit ZooKeeper's fatal-error handler; a server
        // failing later (its election port taken, say) must not end zkr's JVM, nor a test's: the
        // command then fails with a message, or goes on with the quorum that is left.
        ServiceUtils.setSystemExitProcedure(ServiceUtils.LOG_ONLY);
        return new Ensemble(zk.connectString(), zk, (System.nanoTime() - t0) / 1e9, attempts);
    }

    boolean isEmbedded() {
        return embedded != null;
    }

    @Override
    public void close() {
        if (embedded != null) {
            embedded.close();
        }
    }
}
