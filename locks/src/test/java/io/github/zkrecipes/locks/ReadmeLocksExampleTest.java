package io.github.zkrecipes.locks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;

/** The README's locks example, compiled and run against an embedded server. */
@ZkTest
class ReadmeLocksExampleTest {

    @Test
    void readmeLocksExampleRuns(ZkTestContext zk) throws Exception {
        ZkSession session = zk.session();
        session.curator().create().creatingParentsIfNeeded().forPath("/report/state", new byte[0]);
        List<Long> fences = new ArrayList<>();
        Report report = fences::add;
        // --- README example starts
        ZkLock lock = new ZkLock(session, "/locks/nightly-report");
        try (LockHandle held = lock.acquire()) {               // or lock.tryAcquire(Duration) -> Optional
            held.guarded(session.curator().transactionOp()     // applied only while the lock is held
                    .setData().forPath("/report/state", "running".getBytes()));
            report.run(held.fence());                          // pass the fence to the resource you protect
        }

        ZkReadWriteLock catalog = new ZkReadWriteLock(session, "/locks/catalog");
        try (LockHandle read = catalog.acquireRead()) { /* readers share */ }

        ZkSemaphore db = new ZkSemaphore(session, "/semaphores/db", 3); // N is stored with the semaphore
        try (Lease lease = db.acquire(2)) { /* 2 of the 3 permits, all or nothing */ }
        // --- README example ends
        assertArrayEquals("running".getBytes(), session.curator().getData().forPath("/report/state"));
        assertEquals(1, fences.size());
        assertTrue(fences.get(0) > 0);
        session.curator().delete().deletingChildrenIfNeeded().forPath("/report");
    }

    interface Report {
        void run(long fence);
    }
}
