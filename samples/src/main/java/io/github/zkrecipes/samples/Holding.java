package io.github.zkrecipes.samples;

import io.github.zkrecipes.Grant;
import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.locks.LockHandle;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** {@link ParticipantCommand.Held} for the two kinds of handle the locks module returns. */
final class Holding {
    private Holding() {}

    static ParticipantCommand.Held of(LockHandle h) {
        return new ParticipantCommand.Held() {
            @Override public String path() { return h.path(); }
            @Override public long fence() { return h.fence(); }
            @Override public GrantState state() { return h.state(); }
            @Override public CompletableFuture<Void> whenLost() { return h.whenLost(); }
            @Override public Registration onStateChange(Consumer<GrantState> l) { return h.onStateChange(l); }
            @Override public void close() { h.close(); }
        };
    }

    static ParticipantCommand.Held of(Grant g) {
        return new ParticipantCommand.Held() {
            @Override public String path() { return g.path(); }
            @Override public long fence() { return g.fence(); }
            @Override public GrantState state() { return g.state(); }
            @Override public CompletableFuture<Void> whenLost() { return g.whenLost(); }
            @Override public Registration onStateChange(Consumer<GrantState> l) { return g.onStateChange(l); }
            @Override public void close() { g.close(); }
        };
    }
}
