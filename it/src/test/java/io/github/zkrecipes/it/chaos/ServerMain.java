package io.github.zkrecipes.it.chaos;

import org.apache.zookeeper.server.quorum.QuorumPeerMain;

/** A ZooKeeper server JVM for the fault suite: {@link QuorumPeerMain} under a {@link Watchdog}. */
public final class ServerMain {
    private ServerMain() {}

    public static void main(String[] args) {
        Watchdog.start(command -> { });
        QuorumPeerMain.main(args);
    }
}
