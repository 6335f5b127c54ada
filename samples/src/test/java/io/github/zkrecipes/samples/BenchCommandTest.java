package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code zkr bench}: every scenario makes progress, results are machine-readable, nothing is left behind. */
@ZkTest
class BenchCommandTest {

    @Test
    @SuppressWarnings("unchecked")
    void everyScenarioMakesProgressAndTheJsonNamesEachWithItsFigures(ZkTestContext zk) throws Exception {
        Run run = Run.zkr("bench", "--connect", zk.connectString(), "--duration", "200ms", "--clients", "3", "--json");
        assertEquals(0, run.exitCode(), run.both());
        Map<String, Object> doc = (Map<String, Object>) MiniJson.parse(run.out());
        List<Map<String, Object>> scenarios = (List<Map<String, Object>>) doc.get("scenarios");
        assertEquals(List.of("zookeeper-create-delete", "zookeeper-pipelined-creates", "lock-uncontended",
                "lock-contended-3", "rwlock-3-90pct-reads", "semaphore-3-of-3"),
                scenarios.stream().map(s -> s.get("name")).toList(), run.both());
        for (Map<String, Object> s : scenarios) {
            assertTrue(((Number) s.get("opsPerSecond")).doubleValue() > 0, "no progress in " + s);
        }
        assertTrue(run.err().contains("lock-contended-3") && run.err().contains("running"), "progress on stderr: " + run.both());
        // Every recipe directory is a container, reaped once empty; the test extension checks the
        // namespace, and the bench writes outside it: check its own paths here.
        io.github.zkrecipes.testing.Await.until("the bench's nodes to be gone", () -> {
            try {
                return zk.admin().getChildren("/", false).stream().noneMatch(c -> c.startsWith("bench"));
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void aTableByDefault(ZkTestContext zk) {
        Run run = Run.zkr("bench", "--connect", zk.connectString(), "--duration", "200ms", "--scenarios", "lock");
        assertEquals(0, run.exitCode(), run.both());
        assertTrue(run.out().startsWith("SCENARIO"), run.both());
        assertTrue(run.out().contains("lock-uncontended"), run.both());
    }

    @Test
    void badArgumentsAreOneLineNamingTheValue() {
        Run unknown = Run.zkr("bench", "--scenarios", "lock,nope");
        assertEquals(Zkr.USAGE, unknown.exitCode(), unknown.both());
        assertTrue(unknown.errorLine().contains("'nope'"), unknown.both());
        Run clients = Run.zkr("bench", "--clients", "0");
        assertEquals(Zkr.USAGE, clients.exitCode(), clients.both());
        assertTrue(clients.errorLine().contains("--clients") && clients.errorLine().contains("0"), clients.both());
        Run duration = Run.zkr("bench", "--duration", "-1s");
        assertEquals(Zkr.USAGE, duration.exitCode(), duration.both());
    }
}
