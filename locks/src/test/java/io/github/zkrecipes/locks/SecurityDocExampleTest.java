package io.github.zkrecipes.locks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.zkrecipes.AccessDeniedException;
import io.github.zkrecipes.SecureAcls;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.time.Duration;
import java.util.List;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;

/** The example of docs/SECURITY.md, compiled and run: keep the two in step. */
class SecurityDocExampleTest {

    @Test
    void securityDocExampleRuns() throws Exception {
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
            String connectString = zk.connectString();
            char[] secret = "billing-secret".toCharArray(); // from your secret store
            char[] opsSecret = "ops-secret".toCharArray();
            // --- SECURITY.md example starts
            try (ZkSession session = ZkSession.builder(connectString)
                    .namespace("billing")
                    .digest("billing", new String(secret))          // who this session is
                    .secure(SecureAcls.creatorOnly()                  // what its recipe nodes allow:
                            .readableBy(SecureAcls.digest("ops", new String(opsSecret)))) // everything for
                    .connect()) {                                     // "billing", read for "ops"
                ZkLock lock = new ZkLock(session, "/locks/invoices");
                try (LockHandle held = lock.acquire()) {
                    // ... only sessions that authenticate as "billing" can queue for, or break, this lock
                }
            }
            // --- SECURITY.md example ends
            // The same settings again (the example's directory may have been reaped as an empty container).
            try (ZkSession billing = ZkSession.builder(connectString).namespace("billing")
                    .digest("billing", new String(secret))
                    .secure(SecureAcls.creatorOnly().readableBy(SecureAcls.digest("ops", new String(opsSecret))))
                    .connect();
                 ZkSession intruder = ZkSession.builder(connectString).namespace("billing").connect()) {
                try (LockHandle held = new ZkLock(billing, "/locks/invoices").acquire()) {
                    assertThrows(AccessDeniedException.class,
                            () -> new ZkLock(intruder, "/locks/invoices").tryAcquire(Duration.ZERO));
                    List<ACL> acl = billing.zookeeper().getACL(billing.serverPath("/locks/invoices"), new Stat());
                    assertEquals(List.of(new ACL(Perms.ALL, SecureAcls.digest("billing", "billing-secret")),
                            new ACL(Perms.READ, SecureAcls.digest("ops", "ops-secret"))), acl,
                            "everything for billing, read for ops");
                }
            }
        }
    }
}
