package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.Worker;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

@ZkTest
class GroupConfigTest {
    private static final String PATH = "/groups/workers/config";

    @Test
    void compareAndSetWritesOnlyAtTheExpectedVersion(ZkTestContext zk) throws Exception {
        GroupConfig<String> a = GroupConfig.strings(zk.session(), PATH);
        GroupConfig<String> b = GroupConfig.strings(zk.session(), PATH);
        Versioned<String> none = a.read();
        assertFalse(none.exists());
        assertNull(none.value());
        Versioned<String> v0 = a.compareAndSet(Versioned.ABSENT, "batch=32");
        assertEquals(0, v0.version());
        ConfigConflictException created = assertThrows(ConfigConflictException.class,
                () -> b.compareAndSet(Versioned.ABSENT, "batch=1"));
        assertEquals(0, created.actualVersion());
        Versioned<String> v1 = b.compareAndSet(0, "batch=64");
        assertEquals(1, v1.version());
        ConfigConflictException stale = assertThrows(ConfigConflictException.class, () -> a.compareAndSet(0, "batch=16"));
        assertEquals(0, stale.expectedVersion());
        assertEquals(1, stale.actualVersion());
        assertTrue(stale.getMessage().contains(PATH) && stale.getMessage().contains("version 1"), stale.getMessage());
        assertEquals(new Versioned<>("batch=64", 1), a.read());
        assertEquals(2, a.set("batch=8").version());
        assertTrue(a.delete());
        assertFalse(a.delete());
        assertThrows(ConfigConflictException.class, () -> a.compareAndSet(2, "x"));
        assertThrows(IllegalArgumentException.class, () -> a.compareAndSet(-2, "x"));
    }

    @Test
    void concurrentUpdatesLoseNothing(ZkTestContext zk) throws Exception {
        GroupConfig<Integer> seed = new GroupConfig<>(zk.session(), PATH, Codec.text(String::valueOf, Integer::valueOf));
        seed.set(0);
        int writers = 4;
        int each = 10;
        CountDownLatch go = new CountDownLatch(1);
        List<Worker<Void>> workers = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            GroupConfig<Integer> c = new GroupConfig<>(zk.session(), PATH, Codec.text(String::valueOf, Integer::valueOf));
            workers.add(Worker.start("writer-" + w, () -> {
                go.await();
                for (int i = 0; i < each; i++) {
                    c.update(n -> n + 1);
                }
                return null;
            }));
        }
        go.countDown();
        for (Worker<Void> w : workers) {
            w.result();
        }
        Versioned<Integer> end = seed.read();
        assertEquals(writers * each, end.value());
        assertEquals(writers * each, end.version());
        seed.delete();
    }

    @Test
    void aListenerSeesTheCurrentValueThenEveryChangeInOrder(ZkTestContext zk) throws Exception {
        ZkSession listening = zk.session();
        GroupConfig<String> cfg = GroupConfig.strings(zk.session(), PATH);
        cfg.set("v0");
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Registration r = GroupConfig.strings(listening, PATH)
                .addListener(v -> seen.add(v.exists() ? v.value() + "@" + v.version() : "absent"))) {
            Await.until("the current value", () -> seen.size() == 1);
            assertEquals(1, zk.serverWatchCount());
            Versioned<String> now = cfg.read();
            cfg.compareAndSet(now.version(), "v1");
            Await.until("v1", () -> seen.contains("v1@1"));
            cfg.delete();
            Await.until("deletion", () -> seen.get(seen.size() - 1).equals("absent"));
            cfg.compareAndSet(Versioned.ABSENT, "v2");
            Await.until("v2", () -> seen.contains("v2@0"));
            zk.expire(listening); // the watch dies with the session and is added again
            cfg.set("v3");
            Await.until("v3 after expiry", () -> seen.contains("v3@1"));
            assertEquals(List.of("v0@0", "v1@1", "absent", "v2@0", "v3@1"), seen);
        }
        assertEquals(0, zk.serverWatchCount());
        cfg.delete();
    }

    @Test
    void bytesAndCustomCodecsRoundTrip(ZkTestContext zk) throws Exception {
        GroupConfig<byte[]> raw = GroupConfig.bytes(zk.session(), PATH);
        raw.set(new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, raw.read().value());
        record Settings(int batch, String mode) { }
        Codec<Settings> codec = Codec.text(s -> s.batch() + "," + s.mode(),
                t -> new Settings(Integer.parseInt(t.split(",")[0]), t.split(",")[1]));
        GroupConfig<Settings> typed = new GroupConfig<>(zk.session(), PATH, codec);
        typed.set(new Settings(64, "fast"));
        assertEquals(new Settings(64, "fast"), typed.read().value());
        assertEquals("64,fast", GroupConfig.strings(zk.session(), PATH).read().value());
        assertThrows(IllegalArgumentException.class, () -> raw.set(new byte[2_000_000]));
        raw.delete();
    }
}
