package io.github.zkrecipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import io.github.zkrecipes.internal.queue.QueueEntry;
import io.github.zkrecipes.internal.queue.QueueTestAccess;
import io.github.zkrecipes.testing.TestCertificates;
import java.time.Duration;
import java.util.List;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sessions over TLS to an embedded server's secure client port, with certificates made by the
 * test: the certificate is the session's identity, and secure mode's ACLs name it.
 */
class TlsSessionTest {
    private static final String PW = TestCertificates.PASSWORD;
    private static TestCertificates certs;
    private static EmbeddedZooKeeper server;

    @BeforeAll
    static void start() throws Exception {
        certs = TestCertificates.create("zk-server", "tenant-a", "tenant-b");
        server = EmbeddedZooKeeper.builder().tls(certs.serverTls("zk-server")).start();
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            certs.delete();
        }
    }

    private static ZkSession.Builder over(String tenant, String namespace) {
        return ZkSession.builder(server.secureConnectString())
                .namespace(namespace)
                .sessionTimeout(Duration.ofSeconds(4))
                .connectionTimeout(Duration.ofSeconds(10))
                .tls(certs.keyStore(tenant), PW, certs.trustStore(), PW);
    }

    @Test
    void aSessionConnectsOverTlsAndItsCertificateSubjectIsItsIdentity() throws Exception {
        try (ZkSession a = over("tenant-a", "tls-identity").secure().connect()) {
            List<ClientInfo> who = a.zookeeper().whoAmI();
            assertTrue(who.stream().anyMatch(c -> c.getAuthScheme().equals("x509") && c.getUser().equals("CN=tenant-a")),
                    who.toString());
            QueueEntry e = QueueTestAccess.joinNow(a);
            List<ACL> acl = a.zookeeper().getACL(a.serverPath(e.queue().path()), new Stat());
            assertEquals(List.of(new ACL(Perms.ALL, SecureAcls.x509("CN=tenant-a"))), acl);
            e.queue().remove(e);
        }
    }

    @Test
    void anotherCertificateIsAnotherTenantAndIsRefused() throws Exception {
        try (ZkSession a = over("tenant-a", "tls-tenants").secure().connect();
             ZkSession b = over("tenant-b", "tls-tenants").secure().connect()) {
            QueueEntry held = QueueTestAccess.joinNow(a);
            AccessDeniedException denied = assertThrows(AccessDeniedException.class, () -> QueueTestAccess.joinNow(b));
            assertEquals(held.queue().path(), denied.path());
            assertEquals(1, a.zookeeper().getChildren(a.serverPath(held.queue().path()), false).size());
            held.queue().remove(held);
        }
    }

    @Test
    void aPlainClientOrAnUntrustedCertificateCannotConnectToTheSecurePort() throws Exception {
        assertThrows(EnsembleUnreachableException.class, () -> ZkSession.builder(server.secureConnectString())
                .connectionTimeout(Duration.ofSeconds(2)).connect());
        assertThrows(EnsembleUnreachableException.class, () -> ZkSession.builder(server.secureConnectString())
                .connectionTimeout(Duration.ofSeconds(2))
                .tls(certs.untrustedKeyStore("mallory"), PW, certs.trustStore(), PW).connect());
    }

    @Test
    void tlsStoresThatDoNotExistAreRejectedNamingTheFile() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZkSession
                .builder(server.secureConnectString()).tls(java.nio.file.Path.of("/nonexistent/ks.p12"), PW,
                        certs.trustStore(), PW));
        assertTrue(e.getMessage().contains("/nonexistent/ks.p12"), e.getMessage());
    }
}
