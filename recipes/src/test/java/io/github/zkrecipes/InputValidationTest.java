package io.github.zkrecipes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.internal.queue.Deadline;
import io.github.zkrecipes.internal.queue.NodeKind;
import io.github.zkrecipes.internal.queue.SequentialQueue;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import org.apache.zookeeper.data.Id;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input to the session and the engine: an IllegalArgumentException naming the value, and nothing created. */
@ZkTest
class InputValidationTest {

    private static void rejected(String fragment, Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    @Test
    void sessionSettingsAreRejectedNamingTheValue() {
        ZkSession.Builder b = ZkSession.builder("127.0.0.1:2181");
        rejected("1025 characters", () -> b.participantId("x".repeat(1025)));
        rejected("'tenant'", () -> b.digest("tenant", null));
        rejected("'a:b'", () -> b.digest("a:b", "pw"));
        rejected("scheme", () -> b.authorization(" ", new byte[0]));
        java.nio.file.Path directory = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"));
        rejected("'" + directory + "' is not a readable file", () -> b.tls(directory, "pw", directory, "pw"));
        rejected("connection timeout must be positive", () -> b.connectionTimeout(java.time.Duration.ZERO));
        rejected("auth:", () -> SecureAcls.creatorOnly().sharedWith(new Id("auth", "")));
        rejected("incomplete", () -> SecureAcls.creatorOnly().readableBy(new Id("digest", "")));
    }

    @Test
    void recipePathsThatZooKeeperWouldRefuseAreRejectedBeforeAnyRequest(ZkTestContext zk) throws Exception {
        ZkSession s = zk.session();
        for (String[] bad : new String[][] {
                {"", "empty"}, {"q", "'q'"}, {"/q/", "'/q/'"}, {"/a//b", "'/a//b'"}, {"/a/../b", "'/a/../b'"},
                {"/", "'/'"}, {"/zookeeper/quota", "reserved"}, {"/a\u0000b", "null character"},
                {"/a\u0001b", "U+0001"}, {"/a\ud800b", "U+D800"}}) {
            rejected(bad[1], () -> new SequentialQueue(s, bad[0]));
        }
        SequentialQueue q = new SequentialQueue(s, "/q");
        rejected("1000001 bytes", () -> q.enter(NodeKind.LOCK, 1, new byte[SequentialQueue.MAX_DATA_BYTES + 1],
                Deadline.none()));
        rejected("was -3", () -> q.enter(NodeKind.LEASE, -3, null, Deadline.none()));
        assertEquals(null, zk.stat("/q"));
        assertEquals(null, zk.admin().exists("/" + zk.namespace(), false), "nothing created, not even the namespace");
    }
}
