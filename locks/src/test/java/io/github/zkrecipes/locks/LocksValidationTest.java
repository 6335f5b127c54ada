package io.github.zkrecipes.locks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input to every lock recipe: IllegalArgumentException naming the value, nothing created. */
@ZkTest
class LocksValidationTest {

    private static void rejected(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void badPathsCountsAndTimeoutsAreRejectedNamingTheValueAndCreateNothing(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        rejected("null", () -> new ZkLock(s, null));
        rejected("'/locks/'", () -> new ZkReadWriteLock(s, "/locks/"));
        rejected("U+0007", () -> new ZkSemaphore(s, "/sem\u0007", 1));
        rejected("was -2", () -> new ZkSemaphore(s, "/sem", -2));
        ZkSemaphore sem = new ZkSemaphore(s, "/sem", 2);
        rejected("was 0", () -> sem.setPermits(0));
        rejected("was 0", () -> sem.tryAcquire(0, java.time.Duration.ZERO));
        rejected("asked for 3", () -> sem.tryAcquire(3, java.time.Duration.ZERO));
        rejected("timeout", () -> sem.tryAcquire(1, null));
        rejected("timeout", () -> new ZkReadWriteLock(s, "/rw").tryAcquireWrite(null));
        assertEquals(null, zk.admin().exists("/" + zk.namespace(), false), "nothing created");
    }
}
