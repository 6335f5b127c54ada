package io.github.zkrecipes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The README's usage example, compiled and run against an embedded server. */
class ReadmeExampleTest {
    private static final Logger log = LoggerFactory.getLogger(ReadmeExampleTest.class);

    @Test
    void readmeSessionExampleRuns() throws Exception {
        List<SessionState> seen = new CopyOnWriteArrayList<>();
        try (EmbeddedZooKeeper zk = EmbeddedZooKeeper.start()) {
            String connectString = zk.connectString(); // "zk1:2181,zk2:2181,zk3:2181" in the README
            // --- README example starts
            try (ZkSession session = ZkSession.builder(connectString)
                    .namespace("billing")                      // every path below lives under /billing
                    .sessionTimeout(Duration.ofSeconds(10))
                    .connect()) {                              // fails with EnsembleUnreachableException naming
                                                               // the connect string and the time waited
                session.addStateListener((state, sessionId) ->
                        log.info("ZooKeeper session 0x{} is {}", Long.toHexString(sessionId), state));
                // build recipes on the session; closing it releases everything they hold
                // --- README example ends
                session.addStateListener((state, sessionId) -> seen.add(state));
                assertEquals("billing", session.namespace());
            }
        }
        assertEquals(List.of(SessionState.CLOSED), seen);
    }
}
