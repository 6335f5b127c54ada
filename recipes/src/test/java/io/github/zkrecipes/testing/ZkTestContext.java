package io.github.zkrecipes.testing;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.data.Stat;

/**
 * What a {@link ZkTest} test works with: the server, a namespace of its own, sessions that are
 * closed after the test, a raw admin client to look at the server directly, and fault helpers
 * that return only once the fault was observed.
 */
public final class ZkTestContext {
    private final Duration sessionTimeout;

    private final EmbeddedZooKeeper server;
    private final ZooKeeper admin;
    private final String namespace;
    private final List<ZkSession> sessions = new CopyOnWriteArrayList<>();

    ZkTestContext(EmbeddedZooKeeper server, ZooKeeper admin, String namespace, int tickTimeMs) {
        this.sessionTimeout = Duration.ofMillis(20L * tickTimeMs);
        this.server = server;
        this.admin = admin;
        this.namespace = namespace;
    }

    public EmbeddedZooKeeper server() {
        return server;
    }

    public String connectString() {
        return server.connectString();
    }

    /** This test's namespace (no leading slash). */
    public String namespace() {
        return namespace;
    }

    /** A new session in this test's namespace, closed after the test. */
    public ZkSession session() {
        return session(b -> b);
    }

    /** A new session in this test's namespace, configured further by {@code config}. */
    public ZkSession session(UnaryOperator<ZkSession.Builder> config) {
        ZkSession s = config.apply(ZkSession.builder(connectString())
                .namespace(namespace)
                .sessionTimeout(sessionTimeout)
                .connectionTimeout(TestTimeouts.scaled(Duration.ofSeconds(15)))).connect();
        sessions.add(s);
        return s;
    }

    /** The session timeout sessions ask for: the most the tick time allows (20 ticks). */
    public Duration sessionTimeout() {
        return sessionTimeout;
    }

    /** A raw ZooKeeper client without namespace, for looking at the server directly. */
    public ZooKeeper admin() {
        return admin;
    }

    /** {@code path} in this test's namespace, as the server sees it. */
    public String serverPath(String path) {
        return "/" + namespace + path;
    }

    /** The children of {@code path} (in this test's namespace); empty if it does not exist. */
    public List<String> children(String path) throws Exception {
        try {
            List<String> c = new ArrayList<>(admin.getChildren(serverPath(path), false));
            c.sort(null);
            return c;
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    /**
     * Waits until {@code path} has no children: a released grant's delete is pipelined (sent, not
     * waited for), so another session sees it gone one commit later.
     */
    public void awaitNoChildren(String path) {
        Await.until("no nodes under " + path, () -> {
            try {
                return children(path).isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** The stat of {@code path} (in this test's namespace), or null. */
    public Stat stat(String path) throws Exception {
        return admin.exists(serverPath(path), false);
    }

    /** The number of watches the server holds, from the {@code wchs} command. */
    public int serverWatchCount() {
        return ZkExtension.watchCount(server);
    }

    /**
     * The paths the server holds watches on (from the {@code wchp} command), as users see them:
     * with the test's namespace removed. Paths outside the namespace are left out.
     */
    public java.util.Set<String> serverWatchedPaths() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        String prefix = "/" + namespace();
        for (int i = 0; i < server.size(); i++) {
            String text;
            try {
                text = org.apache.zookeeper.client.FourLetterWordMain.send4LetterWord("127.0.0.1", server.port(i), "wchp");
            } catch (Exception e) {
                continue; // a stopped server holds no watches
            }
            for (String line : text.split("\n")) {
                if (line.startsWith(prefix + "/")) {
                    out.add(line.strip().substring(prefix.length()));
                }
            }
        }
        return out;
    }

    /**
     * Expires {@code session}'s ZooKeeper session on the server, as the ensemble would after a
     * partition longer than the session timeout: a second client attaches to the session with its
     * id and password and closes it. Returns after {@code session} observed {@link
     * SessionState#LOST} and connected again with a new session.
     */
    public void expire(ZkSession session) throws Exception {
        long id = session.sessionId();
        byte[] password = session.zookeeper().getSessionPasswd();
        CountDownLatch lost = new CountDownLatch(1);
        CountDownLatch fresh = new CountDownLatch(1);
        try (Registration r = session.addStateListener((state, sid) -> {
            if (state == SessionState.LOST) {
                lost.countDown();
            }
            if (state == SessionState.CONNECTED && sid != id) {
                fresh.countDown();
            }
        })) {
            CountDownLatch attached = new CountDownLatch(1);
            ZooKeeper other = new ZooKeeper(connectString(), (int) sessionTimeout.toMillis(), e -> {
                if (e.getState() == Watcher.Event.KeeperState.SyncConnected) {
                    attached.countDown();
                }
            }, id, password);
            try {
                Await.latch("second handle to attach to session 0x" + Long.toHexString(id), attached);
            } finally {
                other.close();
            }
            Await.latch("session 0x" + Long.toHexString(id) + " to be reported LOST", lost);
            Await.latch("a new session after 0x" + Long.toHexString(id), fresh);
        }
    }

    /** Waits until {@code session} reports {@code state}. */
    public static void awaitState(ZkSession session, SessionState state) {
        Await.until("session to be " + state, () -> session.state() == state);
    }

    List<ZkSession> sessions() {
        return sessions;
    }
}
