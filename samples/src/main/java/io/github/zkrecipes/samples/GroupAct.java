package io.github.zkrecipes.samples;

import static io.github.zkrecipes.samples.LockStory.check;

import io.github.zkrecipes.Registration;
import io.github.zkrecipes.groups.ConfigConflictException;
import io.github.zkrecipes.groups.GroupConfig;
import io.github.zkrecipes.groups.GroupListener;
import io.github.zkrecipes.groups.GroupView;
import io.github.zkrecipes.groups.Member;
import io.github.zkrecipes.groups.Membership;
import io.github.zkrecipes.groups.Versioned;
import io.github.zkrecipes.groups.ZkGroup;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The demo's group act: [carol] keeps a live view of a group while [alice] and [bob] join, [bob]
 * changes his data and [alice] leaves; then the group's configuration changes by compare-and-set,
 * and a writer that read an old version gets a conflict, reads again and retries. The view's
 * listener runs on the view's thread; it only queues what it is told, and the narrator prints each
 * event when it expects it, so the story reads in order.
 */
final class GroupAct {
    private final Narrative say;
    private final String path;
    private final String configPath;
    private final Actor alice;
    private final Actor bob;
    private final Actor carol;

    GroupAct(Narrative say, String base, Actor alice, Actor bob, Actor carol) {
        this.say = say;
        this.path = base + "/group";
        this.configPath = base + "/group-config";
        this.alice = alice;
        this.bob = bob;
        this.carol = carol;
    }

    void tell() throws Exception {
        LinkedBlockingQueue<String> seen = new LinkedBlockingQueue<>();
        try (GroupView view = new ZkGroup(carol.session(), path).view();
             Registration r = view.addListener(new GroupListener() {
                 @Override
                 public void joined(Member m) {
                     seen.add("[" + m.id() + "] joined, data \"" + m.dataAsString() + "\"");
                 }

                 @Override
                 public void left(Member m) {
                     seen.add("[" + m.id() + "] left");
                 }

                 @Override
                 public void dataChanged(Member before, Member after) {
                     seen.add("[" + after.id() + "] changed data \"" + before.dataAsString() + "\" -> \""
                             + after.dataAsString() + "\"");
                 }
             })) {
            check(view.size() == 0, "the group is not empty");
            Membership a = new ZkGroup(alice.session(), path).join("alice", "role=indexer");
            Membership b = new ZkGroup(bob.session(), path).join("bob", "role=indexer");
            say.step("[carol] opens a live view of the group %s (one watch on the group); [alice] and [bob] join. "
                    + "The view's listener is told:", path);
            see(seen, "[alice] joined");
            see(seen, "[bob] joined");
            say.detail("The view lists %s.", view.members().keySet());
            b.update("role=compactor");
            a.close();
            say.step("[bob] changes his data, then [alice] leaves. The listener is told, in that order:");
            see(seen, "[bob] changed data");
            see(seen, "[alice] left");
            check(view.members().keySet().equals(java.util.Set.of("bob")), "the view should list bob only");
            say.detail("The view lists %s.", view.members().keySet());
            b.close();
            say.detail("[bob] leaves too.");
            see(seen, "[bob] left");
        }

        GroupConfig<String> ac = GroupConfig.strings(alice.session(), configPath);
        GroupConfig<String> bc = GroupConfig.strings(bob.session(), configPath);
        GroupConfig<String> cc = GroupConfig.strings(carol.session(), configPath);
        Versioned<String> v0 = ac.compareAndSet(Versioned.ABSENT, "batch=64");
        say.step("[alice] creates the group's configuration %s: \"%s\", version %d.", configPath, v0.value(),
                v0.version());
        Versioned<String> bobRead = bc.read();
        Versioned<String> carolRead = cc.read();
        Versioned<String> v1 = bc.compareAndSet(bobRead.version(), "batch=128");
        say.step("[bob] and [carol] both read version %d. [bob] sets \"%s\" if still at %d: applied, version %d.",
                carolRead.version(), v1.value(), bobRead.version(), v1.version());
        try {
            cc.compareAndSet(carolRead.version(), "batch=32");
            throw new IllegalStateException("[carol]'s compare-and-set on a stale version was applied");
        } catch (ConfigConflictException conflict) {
            check(conflict.actualVersion() == v1.version(), "the conflict names another version");
            say.step("[carol] sets \"batch=32\" if still at %d: CONFLICT, nothing written.", carolRead.version());
            say.detail("ConfigConflictException: %s", conflict.getMessage());
        }
        Versioned<String> fresh = cc.read();
        check(fresh.value().equals("batch=128"), "bob's value was overwritten");
        Versioned<String> v2 = cc.compareAndSet(fresh.version(), "batch=32");
        say.step("[carol] reads again (\"%s\", version %d) and retries: applied, version %d.", fresh.value(),
                fresh.version(), v2.version());
    }

    /** Takes the view's next event, which must start with {@code expected}, and prints it. */
    private void see(LinkedBlockingQueue<String> seen, String expected) throws Exception {
        String e = seen.poll(Actor.STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        if (e == null) {
            throw new java.util.concurrent.TimeoutException("the view did not see " + expected);
        }
        check(e.startsWith(expected), "the view saw " + e + ", expected " + expected);
        say.detail("view: %s", e);
    }
}
