package io.github.zkrecipes.samples;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.locks.ZkReadWriteLock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zkr rwlock}: one reader or writer of a fair read-write lock ({@link ZkReadWriteLock}). */
@Command(name = "rwlock",
        description = {
            "Take a read-write lock as a reader or a writer, hold it, release it; print each state change.",
            "%nReaders share the lock; a writer holds it alone; a reader arriving after a waiting writer waits behind it.%n"})
final class ReadWriteLockCommand extends ParticipantCommand {
    enum Mode { read, write }

    @Option(names = "--path", paramLabel = "<znode>", defaultValue = "/zkr/rwlock",
            description = "The read-write lock's directory (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--mode", paramLabel = "read|write", defaultValue = "read",
            description = "Take the read lock (shared) or the write lock (exclusive) (default: ${DEFAULT-VALUE}).")
    Mode mode;

    @Override
    String path() {
        return path;
    }

    @Override
    String what() {
        return mode.name().toLowerCase(Locale.ROOT) + " lock " + path;
    }

    @Override
    Optional<Held> acquire(ZkSession session, Duration timeout) throws InterruptedException {
        ZkReadWriteLock rw = new ZkReadWriteLock(session, path);
        if (mode == Mode.write) {
            return (timeout == null ? Optional.of(rw.acquireWrite()) : rw.tryAcquireWrite(timeout)).map(Holding::of);
        }
        return (timeout == null ? Optional.of(rw.acquireRead()) : rw.tryAcquireRead(timeout)).map(Holding::of);
    }

    @Override
    Queue queue(ZkSession session) throws InterruptedException {
        List<RecipeNode> q = new ZkReadWriteLock(session, path).queue();
        return new Queue(q, q.size() - ReadWriteAct.waiting(q).size());
    }
}
