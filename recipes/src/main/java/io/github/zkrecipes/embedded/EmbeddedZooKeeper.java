package io.github.zkrecipes.embedded;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.client.FourLetterWordMain;

/**
 * A ZooKeeper server, or an ensemble of several, running inside this JVM on free loopback ports:
 * for tests, and for the samples when no {@code --connect} is given. Built on curator-test's
 * {@code TestingServer} and {@code TestingCluster}, which must be on the classpath (the {@code
 * zk-recipes-core} artifact declares curator-test optional).
 *
 * <pre>{@code
 * try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.builder().tickTime(Duration.ofMillis(200)).start();
 *      ZkSession session = ZkSession.connect(zk.connectString())) { ... }
 * }</pre>
 *
 * <p>Data lives in a temporary directory that {@link #close()} deletes. The tick time bounds the
 * session timeouts the server grants to [2, 20] × tickTime: a small tick time makes session-expiry
 * tests fast.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {
    private final TestingServer server;
    private final TestingCluster cluster;
    private final List<InstanceSpec> specs;
    private final List<Path> dataDirs;
    // With a TLS port: ZooKeeper's own server instead of curator-test's (which opens no secure port).
    private final Tls tls;
    private final int securePort;
    private volatile TlsServer tlsServer;

    private EmbeddedZooKeeper(TestingServer server, TestingCluster cluster, List<InstanceSpec> specs, List<Path> dataDirs) {
        this.server = server;
        this.cluster = cluster;
        this.specs = specs;
        this.dataDirs = dataDirs;
        this.tls = null;
        this.securePort = -1;
    }

    private EmbeddedZooKeeper(Tls tls, int securePort, InstanceSpec spec, Path dataDir) {
        this.server = null;
        this.cluster = null;
        this.specs = List.of(spec);
        this.dataDirs = List.of(dataDir);
        this.tls = tls;
        this.securePort = securePort;
        this.tlsServer = TlsServer.start(dataDir, spec.getPort(), securePort, spec.getTickTime(), tls);
    }

    /**
     * The key material of a server's TLS client port ({@link Builder#tls}): PKCS12 key store with
     * the server's key and certificate, PKCS12 trust store with the certificates (or their CA) of
     * the clients it accepts. Clients must present a trusted certificate.
     */
    public record Tls(Path keyStore, String keyStorePassword, Path trustStore, String trustStorePassword) {
        public Tls {
            java.util.Objects.requireNonNull(keyStore, "key store");
            java.util.Objects.requireNonNull(keyStorePassword, "key store password");
            java.util.Objects.requireNonNull(trustStore, "trust store");
            java.util.Objects.requireNonNull(trustStorePassword, "trust store password");
        }
    }

    /** One server with default settings (tick time 200 ms: sessions of 0.4 to 4 s). */
    public static EmbeddedZooKeeper start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The connect string of every server, for {@code ZkSession.connect}. */
    public String connectString() {
        if (tls != null) {
            return "127.0.0.1:" + specs.get(0).getPort();
        }
        return server != null ? server.getConnectString() : cluster.getConnectString();
    }

    /**
     * The connect string of the TLS client port ({@code 127.0.0.1:port}): only TLS clients with a
     * trusted certificate get through. The plain {@link #connectString()} stays open too.
     *
     * @throws IllegalStateException if the server was built without {@link Builder#tls}
     */
    public String secureConnectString() {
        if (tls == null) {
            throw new IllegalStateException("this embedded ZooKeeper has no TLS port: build it with tls(...)");
        }
        return "127.0.0.1:" + securePort;
    }

    /** The number of servers. */
    public int size() {
        return specs.size();
    }

    /** The connect string of server {@code index} alone. */
    public String connectString(int index) {
        return specs.get(index).getConnectString();
    }

    /** The client port of server {@code index}. */
    public int port(int index) {
        return specs.get(index).getPort();
    }

    /**
     * The index of the server {@code client} is connected to, or -1 if it is not connected to any.
     */
    public int serverOf(org.apache.zookeeper.ZooKeeper client) {
        if (server != null || tls != null) {
            return client.getState().isConnected() ? 0 : -1;
        }
        try {
            InstanceSpec spec = cluster.findConnectionInstance(client);
            return spec == null ? -1 : specs.indexOf(spec);
        } catch (Exception e) {
            return -1;
        }
    }

    /**
     * The role server {@code index} reports ({@code leader}, {@code follower}, {@code standalone}),
     * or {@code down} if it does not answer. Asks with the {@code srvr} command.
     */
    public String mode(int index) {
        try {
            String out = FourLetterWordMain.send4LetterWord("127.0.0.1", port(index), "srvr");
            for (String line : out.split("\\n")) {
                if (line.startsWith("Mode: ")) {
                    return line.substring(6).trim();
                }
            }
            return "down";
        } catch (Exception e) {
            return "down";
        }
    }

    /** The index of the ensemble's current leader (0 for a single server), or -1 if there is none. */
    public int leader() {
        if (server != null || tls != null) {
            return 0;
        }
        for (int i = 0; i < specs.size(); i++) {
            if ("leader".equals(mode(i))) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Stops server {@code index} (its data is kept), as a crash would: clients connected to it lose
     * their connection, sessions survive if the rest of the ensemble has a quorum.
     */
    public void stop(int index) {
        try {
            if (tls != null) {
                checkIndex(index);
                TlsServer s = tlsServer;
                tlsServer = null;
                if (s != null) {
                    s.close();
                }
            } else if (server != null) {
                checkIndex(index);
                server.stop();
            } else {
                cluster.killServer(specs.get(index));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop server " + index, e);
        }
    }

    /** Starts server {@code index} again with its data, on the same port. */
    public void restart(int index) {
        try {
            if (tls != null) {
                checkIndex(index);
                if (tlsServer == null) {
                    tlsServer = TlsServer.start(dataDirs.get(0), specs.get(0).getPort(), securePort,
                            specs.get(0).getTickTime(), tls);
                }
            } else if (server != null) {
                checkIndex(index);
                server.restart();
            } else {
                cluster.restartServer(specs.get(index));
            }
        } catch (Exception e) {
            throw new IllegalStateException("cannot restart server " + index, e);
        }
    }

    private void checkIndex(int index) {
        if (index != 0) {
            throw new IllegalArgumentException("server index " + index + " out of range: there is 1 server");
        }
    }

    /** Stops every server and deletes their data. Idempotent. */
    @Override
    public void close() {
        try {
            if (tls != null) {
                TlsServer s = tlsServer;
                tlsServer = null;
                if (s != null) {
                    s.close();
                }
            } else if (server != null) {
                server.close();
            } else {
                cluster.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("closing the embedded ZooKeeper failed", e);
        } finally {
            for (Path dir : dataDirs) {
                deleteRecursively(dir);
            }
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: it is a temporary directory
        }
    }

    @Override
    public String toString() {
        return "EmbeddedZooKeeper[" + connectString() + "]";
    }

    /** Configures an embedded server or ensemble. */
    public static final class Builder {
        private int servers = 1;
        private int tickTimeMs = 200;
        private int maxClientConnections = 0;
        private Tls tls;

        private Builder() {}

        /**
         * Opens a TLS-only client port too ({@link EmbeddedZooKeeper#secureConnectString()}), with
         * Netty and client-certificate authentication (a client's certificate subject becomes its
         * {@code x509} identity). One server only. The plain port stays open, for tests and
         * diagnostics. While it runs, the server sets this JVM's {@code zookeeper.ssl.*} system
         * properties (ZooKeeper 3.9 reads its TLS settings there) and restores them on close: one
         * TLS server per JVM at a time.
         */
        public Builder tls(Tls tls) {
            this.tls = java.util.Objects.requireNonNull(tls, "tls");
            return this;
        }

        /** How many servers (default 1). More than one makes a quorum ensemble. */
        public Builder servers(int count) {
            if (count < 1 || count > 9) {
                throw new IllegalArgumentException("server count must be 1 to 9, was " + count);
            }
            this.servers = count;
            return this;
        }

        /** ZooKeeper's tick time (default 200 ms): sessions are clamped to [2, 20] ticks. */
        public Builder tickTime(java.time.Duration tick) {
            long ms = tick.toMillis();
            if (ms < 10 || ms > 10_000) {
                throw new IllegalArgumentException("tick time must be 10 ms to 10 s, was " + tick);
            }
            this.tickTimeMs = (int) ms;
            return this;
        }

        /** Starts the server(s) and waits until they serve. */
        public EmbeddedZooKeeper start() {
            // The diagnostic commands mode() and tests use; ZooKeeper reads this when a server starts.
            if (System.getProperty("zookeeper.4lw.commands.whitelist") == null) {
                System.setProperty("zookeeper.4lw.commands.whitelist", "srvr,stat,ruok,wchs,wchc,wchp,cons,mntr");
            }
            List<InstanceSpec> specs = new ArrayList<>();
            List<Path> dirs = new ArrayList<>();
            if (tls != null && servers != 1) {
                throw new IllegalArgumentException("a TLS port is offered on one server only, not " + servers);
            }
            try {
                if (tls != null) {
                    Path dir = Files.createTempDirectory("zkr-embedded-tls-");
                    dirs.add(dir);
                    InstanceSpec spec = new InstanceSpec(dir.toFile(), InstanceSpec.getRandomPort(), -1, -1, true, 1,
                            tickTimeMs, maxClientConnections, Map.of());
                    return new EmbeddedZooKeeper(tls, InstanceSpec.getRandomPort(), spec, dir);
                }
                for (int i = 0; i < servers; i++) {
                    Path dir = Files.createTempDirectory("zkr-embedded-");
                    dirs.add(dir);
                    specs.add(new InstanceSpec(dir.toFile(), InstanceSpec.getRandomPort(), InstanceSpec.getRandomPort(),
                            InstanceSpec.getRandomPort(), true, i + 1, tickTimeMs, maxClientConnections,
                            Map.of("admin.enableServer", "false")));
                }
                if (servers == 1) {
                    TestingServer s = new TestingServer(specs.get(0), true);
                    return new EmbeddedZooKeeper(s, null, specs, dirs);
                }
                TestingCluster c = new TestingCluster(specs);
                c.start();
                return new EmbeddedZooKeeper(null, c, specs, dirs);
            } catch (Exception e) {
                for (Path dir : dirs) {
                    deleteRecursively(dir);
                }
                throw new IllegalStateException("cannot start an embedded ZooKeeper of " + servers + " server(s)", e);
            }
        }
    }
}
