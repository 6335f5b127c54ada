package io.github.zkrecipes.samples;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.locks.ZkSemaphore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code zkr semaphore}: one participant of a fair counting semaphore ({@link ZkSemaphore}). */
@Command(name = "semaphore",
        description = {
            "Take permits of a semaphore, hold them, return them; print each state change.",
            "%nAt most --permits permits are held at once by everyone; the first participant defines the count and "
                    + "the others must agree.%n"})
final class SemaphoreCommand extends ParticipantCommand {
    @Option(names = "--path", paramLabel = "<znode>", defaultValue = "/zkr/semaphore",
            description = "The semaphore's directory (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--permits", paramLabel = "<n>", defaultValue = "2",
            description = "How many permits the semaphore has (default: ${DEFAULT-VALUE}).")
    int permits;

    @Option(names = "--count", paramLabel = "<k>", defaultValue = "1",
            description = "How many permits to take at once, all or none (default: ${DEFAULT-VALUE}).")
    int count;

    @Override
    void validateOptions() {
        if (permits < 1) {
            throw badValue("--permits must be at least 1, was " + permits);
        }
        if (count < 1) {
            throw badValue("--count must be at least 1, was " + count);
        }
        if (count > permits) {
            throw badValue("--count " + count + " is more than the semaphore's " + permits + " permits");
        }
    }

    @Override
    String path() {
        return path;
    }

    @Override
    String what() {
        return count + " of " + permits + " permits of " + path;
    }

    @Override
    Optional<Held> acquire(ZkSession session, Duration timeout) throws InterruptedException {
        ZkSemaphore semaphore = new ZkSemaphore(session, path, permits);
        return (timeout == null ? Optional.of(semaphore.acquire(count)) : semaphore.tryAcquire(count, timeout))
                .map(Holding::of);
    }

    @Override
    Queue queue(ZkSession session) throws InterruptedException {
        ZkSemaphore semaphore = new ZkSemaphore(session, path, permits);
        List<RecipeNode> holders = semaphore.holders();
        List<RecipeNode> all = new java.util.ArrayList<>(holders);
        all.addAll(semaphore.waiters());
        return new Queue(all, holders.size());
    }
}
