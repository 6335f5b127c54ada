package io.github.zkrecipes.groups;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.zkrecipes.SessionState;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.testing.Await;
import io.github.zkrecipes.testing.TestTimeouts;
import io.github.zkrecipes.testing.ZkTest;
import io.github.zkrecipes.testing.ZkTestContext;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A view and a membership on a connection that drops and comes back (same session). */
@ZkTest(servers = 3, tickTimeMs = 500)
class GroupReconnectTest {
    private static final String PATH = "/groups/workers";

    @Test
    void aViewConvergesAfterReconnectingAndAMembershipIsUncertainMeanwhile(ZkTestContext zk) throws Exception {
        // Pinned to server 0, so that stopping it disconnects this session while the others go on.
        ZkSession pinned = ZkSession.builder(zk.server().connectString(0)).namespace(zk.namespace())
                .sessionTimeout(zk.sessionTimeout()).connectionTimeout(TestTimeouts.scaled(Duration.ofSeconds(15)))
                .connect();
        try {
            ZkGroup others = new ZkGroup(zk.session(), PATH);
            Membership a = others.join("a", "1");
            Membership c = others.join("c", "c");
            Membership pinnedMember = new ZkGroup(pinned, PATH).join("p", "p");
            try (GroupView view = new ZkGroup(pinned, PATH).view()) {
                GroupViewTest.Recorder r = new GroupViewTest.Recorder();
                view.addListener(r);
                Await.until("replay", () -> r.events.size() == 3);
                long sessionBefore = pinned.sessionId();

                zk.server().stop(0);
                ZkTestContext.awaitState(pinned, SessionState.SUSPENDED);
                Await.until("the member to be uncertain", () -> pinnedMember.state() == Membership.State.UNCERTAIN);
                // changes the view cannot see while disconnected
                Membership b = others.join("b", "2");
                a.update("changed");
                c.close();
                assertEquals(Set.of("a", "c", "p"), view.members().keySet());

                zk.server().restart(0);
                ZkTestContext.awaitState(pinned, SessionState.RECONNECTED);
                assertEquals(sessionBefore, pinned.sessionId());
                assertTrue(view.await(m -> m.keySet().equals(Set.of("a", "b", "p"))
                        && "changed".equals(m.get("a").dataAsString()), TestTimeouts.patience()), view.members().toString());
                Await.until("the member to be active again", () -> pinnedMember.state() == Membership.State.ACTIVE);
                assertTrue(r.events.subList(3, r.events.size()).containsAll(List.of("left c", "changed a=changed", "joined b=2")),
                        r.events.toString());
                assertEquals(6, r.events.size(), r.events.toString());
                b.close();
            }
            pinnedMember.close();
            a.close();
        } finally {
            pinned.close();
        }
    }
}
