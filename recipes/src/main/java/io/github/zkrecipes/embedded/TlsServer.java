package io.github.zkrecipes.embedded;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.server.ServerConfig;
import org.apache.zookeeper.server.ZooKeeperServerMain;
import org.apache.zookeeper.server.auth.ProviderRegistry;
import org.apache.zookeeper.server.auth.X509AuthenticationProvider;
import org.apache.zookeeper.server.quorum.QuorumPeerConfig;

/**
 * One standalone server with a plain client port and a TLS-only secure client port, run with
 * ZooKeeper's own {@link ZooKeeperServerMain} (curator-test's server does not open a secure port).
 *
 * <p>ZooKeeper 3.9's server reads its TLS settings from system properties ({@code
 * zookeeper.ssl.*}) for every new connection, and authenticates client certificates through the
 * JVM-wide {@code x509} provider. So while it runs, this server sets those properties (restored
 * on {@link #close()}) and registers that provider: one TLS server per JVM at a time.
 */
final class TlsServer extends ZooKeeperServerMain {
    private static final String X509_PROVIDER = "zookeeper.authProvider.x509";
    private static final Object JVM_WIDE = new Object();

    private final Map<String, String> saved = new LinkedHashMap<>();
    private final CountDownLatch started = new CountDownLatch(1);
    private volatile Throwable failure;
    private Thread thread;

    /** Starts the server and returns once both ports serve. */
    static TlsServer start(Path dataDir, int port, int securePort, int tickTimeMs, EmbeddedZooKeeper.Tls tls) {
        TlsServer s = new TlsServer();
        s.run(dataDir, port, securePort, tickTimeMs, tls);
        return s;
    }

    private void run(Path dataDir, int port, int securePort, int tickTimeMs, EmbeddedZooKeeper.Tls tls) {
        synchronized (JVM_WIDE) {
            set("zookeeper.ssl.keyStore.location", tls.keyStore().toString());
            set("zookeeper.ssl.keyStore.password", tls.keyStorePassword());
            set("zookeeper.ssl.keyStore.type", "PKCS12");
            set("zookeeper.ssl.trustStore.location", tls.trustStore().toString());
            set("zookeeper.ssl.trustStore.password", tls.trustStorePassword());
            set("zookeeper.ssl.trustStore.type", "PKCS12");
            set(X509_PROVIDER, X509AuthenticationProvider.class.getName());
            // Read when the server makes its connection factories: a secure port needs Netty.
            set("zookeeper.serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory");
            // (Re)built from the properties just set: it holds the trust manager that checks client certificates.
            ProviderRegistry.addOrUpdateProvider(X509_PROVIDER);
        }
        Properties p = new Properties();
        p.setProperty("dataDir", dataDir.toString());
        p.setProperty("clientPort", Integer.toString(port));
        p.setProperty("secureClientPort", Integer.toString(securePort));
        p.setProperty("clientPortAddress", "127.0.0.1");
        p.setProperty("secureClientPortAddress", "127.0.0.1");
        p.setProperty("tickTime", Integer.toString(tickTimeMs));
        p.setProperty("admin.enableServer", "false");
        ServerConfig config = new ServerConfig();
        try {
            QuorumPeerConfig qpc = new QuorumPeerConfig();
            qpc.parseProperties(p);
            config.readFrom(qpc);
        } catch (Exception e) {
            restore();
            throw new IllegalStateException("bad TLS server configuration " + p, e);
        }
        thread = new Thread(() -> {
            try {
                runFromConfig(config);
            } catch (Throwable t) {
                failure = t;
            } finally {
                started.countDown();
            }
        }, "zkr-embedded-tls-server");
        thread.setDaemon(true);
        thread.start();
        try {
            if (!started.await(30, TimeUnit.SECONDS) || failure != null) {
                close();
                throw new IllegalStateException("the TLS server did not start", failure);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while starting the TLS server", e);
        } finally {
            synchronized (JVM_WIDE) {
                restoreOne("zookeeper.serverCnxnFactory"); // only needed while the factories were made
            }
        }
    }

    @Override
    protected void serverStarted() {
        started.countDown();
    }

    private void set(String key, String value) {
        saved.putIfAbsent(key, System.getProperty(key));
        System.setProperty(key, value);
    }

    private void restoreOne(String key) {
        if (saved.containsKey(key)) {
            String old = saved.remove(key);
            if (old == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, old);
            }
        }
    }

    private void restore() {
        synchronized (JVM_WIDE) {
            for (String key : new java.util.ArrayList<>(saved.keySet())) {
                restoreOne(key);
            }
            ProviderRegistry.removeProvider("x509");
        }
    }

    /** Stops the server (its data stays) and restores the system properties. Idempotent. */
    @Override
    public void close() {
        try {
            super.close();
            if (thread != null) {
                thread.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            restore();
        }
    }
}
