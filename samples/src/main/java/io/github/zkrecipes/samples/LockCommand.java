package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.locks.ZkLock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zkr lock}: one participant of a fair lock ({@link ZkLock}), printing its state changes. */
@Command(name = "lock",
        description = {
            "Take a fair lock, hold it, release it; print each state change with a timestamp.",
            "%nRun it in several terminals with the same --connect and --path to see the queue at work.%n"})
final class LockCommand extends ParticipantCommand {
    @Option(names = "--path", paramLabel = "<znode>", defaultValue = "/zkr/lock",
            description = "The lock's directory (default: ${DEFAULT-VALUE}).")
    String path;

    @Override
    String path() {
        return path;
    }

    @Override
    String what() {
        return "lock " + path;
    }

    @Override
    Optional<Held> acquire(ZkSession session, Duration timeout) throws InterruptedException {
        ZkLock lock = new ZkLock(session, path);
        return (timeout == null ? Optional.of(lock.acquire()) : lock.tryAcquire(timeout)).map(Holding::of);
    }

    @Override
    Queue queue(ZkSession session) throws InterruptedException {
        List<io.github.zkrecipes.RecipeNode> q = new ZkLock(session, path).queue();
        return new Queue(q, q.isEmpty() ? 0 : 1);
    }
}
