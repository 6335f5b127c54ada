package io.github.zkrecipes.it.chaos;

import java.io.File;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import javax.security.sasl.SaslException;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;
import org.apache.zookeeper.server.quorum.QuorumPeer;
import org.apache.zookeeper.server.quorum.QuorumPeerMain;

/**
 * A ZooKeeper server JVM for the fault suite: {@link QuorumPeerMain} under a {@link Watchdog}, with
 * a slow disk on demand (row 19). The command {@code fsync-delay <ms>} on standard input makes every
 * transaction-log flush sleep that long first, from the next flush on ({@code 0}: no delay).
 *
 * <p>Where the delay sits (ZooKeeper 3.9.4): {@code runFromConfig} builds the peer with {@link
 * #getQuorumPeer()} and hands it a {@link FileTxnSnapLog}; our peer wraps it. The {@code
 * SyncRequestProcessor} of the leader and of every follower batches logged proposals and calls
 * {@code flush()}: {@code ZKDatabase.commit()}, which is {@code FileTxnSnapLog.commit()} (flush and,
 * with forceSync=yes, fsync of the log), and only then passes the batch on to the processor that
 * acknowledges the proposals to the leader. With {@code forceSync=no} the sleep is the fsync: a
 * proposal is acknowledged by a server only after its delayed flush, and committed once a quorum
 * acknowledged it.
 */
public final class ServerMain extends QuorumPeerMain {
    private static volatile long fsyncDelayMillis;

    private ServerMain() {}

    public static void main(String[] args) {
        Watchdog.start(ServerMain::command);
        try {
            new ServerMain().initializeAndRun(args);
        } catch (Exception e) {
            e.printStackTrace();
            System.exit(2);
        }
        System.exit(0);
    }

    private static void command(String line) {
        if (line.startsWith("fsync-delay ")) {
            fsyncDelayMillis = Long.parseLong(line.substring("fsync-delay ".length()).trim());
            System.err.println("chaos: transaction log flushes now sleep " + fsyncDelayMillis + " ms first");
        }
    }

    @Override
    protected QuorumPeer getQuorumPeer() throws SaslException {
        return new QuorumPeer() {
            @Override
            public void setTxnFactory(FileTxnSnapLog factory) {
                try {
                    // The factory's getters return the version-2 subdirectories it made of the
                    // configured ones; the subclass is built on the configured ones again.
                    FileTxnSnapLog slow = new SlowFlushTxnSnapLog(factory.getDataLogDir().getParentFile(),
                            factory.getSnapDir().getParentFile());
                    factory.close();
                    super.setTxnFactory(slow);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        };
    }

    /** The transaction log whose {@link #commit()} (flush, fsync) first sleeps the current delay. */
    private static final class SlowFlushTxnSnapLog extends FileTxnSnapLog {
        SlowFlushTxnSnapLog(File dataLogDir, File snapDir) throws IOException {
            super(dataLogDir, snapDir);
        }

        @Override
        public void commit() throws IOException {
            long delay = fsyncDelayMillis;
            if (delay > 0) {
                try {
                    TimeUnit.MILLISECONDS.sleep(delay); // the injected slow disk
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted in a delayed flush");
                }
            }
            super.commit();
        }
    }
}
