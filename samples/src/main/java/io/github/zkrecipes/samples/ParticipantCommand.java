package io.github.zkrecipes.samples;

import io.github.zkrecipes.GrantState;
import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.Registration;
import io.github.zkrecipes.ZkSession;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/**
 * What {@code zkr lock}, {@code rwlock}, {@code semaphore} and {@code election} share: one participant that
 * acquires, holds for {@code --hold} and releases, {@code --rounds} times or for {@code
 * --duration}, printing every state change with a timestamp: waiting, queued (and its place),
 * granted with its fence, {@code UNCERTAIN} when the connection is suspended, {@code HELD} again,
 * {@code LOST}, released. Several terminals against one ensemble show the recipe at work.
 *
 * <p>The command's thread acquires and releases (a lock handle belongs to its thread); a second
 * thread reads the queue while it waits, to say where it stands (about 2 round trips every
 * {@link #QUEUE_POLL}).
 */
abstract class ParticipantCommand extends RoundCommand {
    private static final Duration QUEUE_POLL = Duration.ofMillis(250);

    @Option(names = "--timeout", paramLabel = "<duration>", converter = Durations.class,
            description = "Give up (exit code 3) if a grant does not come within this time; 0 means only if free now. "
                    + "Default: wait as long as it takes.")
    Duration timeout;

    /** What is acquired, for messages: "lock /zkr/lock", "2 permits of /zkr/semaphore". */
    abstract String what();

    /** What the recipe calls its fencing token, for messages: "fence" (an election's is its "epoch"). */
    String fenceName() {
        return "fence";
    }

    /** The line printed when granted, after {@code waited}. */
    String grantedLine(Held held, String waited) {
        return String.format("granted %s, fence 0x%x, after %s: %s", what(), held.fence(), waited, held.path());
    }

    /** How the holders are named in the queue line: "held by" (an election's leader "led by"). */
    String heldBy() {
        return "held by";
    }

    /** What giving up a grant is called: "released" (a leader "resigned"). */
    String releasedWord() {
        return "released";
    }

    /** The same, in the present: "releases" ("resigns"). */
    String releaseVerb() {
        return "releases";
    }

    /** Acquires on the calling thread; empty if {@code timeout} (null: none) passed first. */
    abstract Optional<Held> acquire(ZkSession session, Duration timeout) throws InterruptedException;

    /** The recipe's nodes in queue order, and how many of them hold it now. */
    abstract Queue queue(ZkSession session) throws InterruptedException;

    /** A snapshot of the queue: {@code nodes} in order, the first {@code holders} of them holding. */
    record Queue(List<RecipeNode> nodes, int holders) {}

    /** What a participant holds, whatever the recipe: a lock handle, a lease, a term of leadership. */
    interface Held extends AutoCloseable {
        String path();

        long fence();

        GrantState state();

        CompletableFuture<Void> whenLost();

        Registration onStateChange(Consumer<GrantState> listener);

        @Override
        void close();
    }

    @Override
    final void round(ZkSession session, int round) throws Exception {
        print("round %d: waiting for %s", round, what());
        long asked = System.nanoTime();
        Optional<Held> granted;
        CompletableFuture<Void> acquired = new CompletableFuture<>();
        Thread watcher = watchQueue(session, acquired);
        try {
            granted = acquire(session, timeout);
        } finally {
            acquired.complete(null);
            watcher.join(TimeUnit.SECONDS.toMillis(5));
        }
        if (granted.isEmpty()) {
            print("not granted within %s; nothing left queued", Durations.format(timeout));
            throw new Exit(Zkr.NOT_GRANTED, "not granted " + what() + " within " + Durations.format(timeout));
        }
        String fence = fenceName();
        try (Held held = granted.get();
             Registration r = held.onStateChange(s -> print("%s (%s 0x%x)%s", s, fence, held.fence(), meaning(s)))) {
            print("%s", grantedLine(held, since(asked)));
            long heldSince = System.nanoTime();
            if (interactive) {
                print("holding; Enter %s and goes again, q and Enter %s and quits", releaseVerb(), releaseVerb());
            }
            try {
                if (holdOrLose(held.whenLost())) {
                    throw new Exit(Zkr.LOST, "lost " + what() + " (" + fence + " 0x" + Long.toHexString(held.fence())
                            + ") while holding it: " + held.state());
                }
            } catch (ExecutionException e) {
                throw new Exit(Zkr.LOST, "lost " + what() + " while holding it: " + oneLine(e.getCause()));
            }
            r.close(); // the release is printed below, once
            held.close();
            print("%s after %s", releasedWord(), since(heldSince));
        }
    }

    private static String meaning(GrantState s) {
        return switch (s) {
            case HELD -> ": the connection is back and a write confirmed the node";
            case UNCERTAIN -> ": the connection is suspended; not acting as owner until it is back";
            case LOST -> ": the session expired or the node is gone; someone else may hold it now";
            case RELEASED -> "";
        };
    }

    /** Reads the queue while the acquire waits and says where this participant stands, when that changes. */
    private Thread watchQueue(ZkSession session, CompletableFuture<Void> acquired) {
        Thread t = new Thread(() -> {
            String last = null;
            try {
                // Wait a little first: an uncontended acquire is done before a listing would tell anything.
                while (!waitFor(acquired, QUEUE_POLL)) {
                    String now = place(session);
                    if (now != null && !now.equals(last) && !acquired.isDone()) {
                        print("%s", now);
                        last = now;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // Only a progress report: the acquire itself reports what matters.
            }
        }, "zkr-queue-watch");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static boolean waitFor(CompletableFuture<Void> f, Duration d) throws InterruptedException {
        try {
            f.get(d.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }

    /** "queued: 2nd in line, behind [alice] (holds, fence 0x...), ..." or null if not queued. */
    private String place(ZkSession session) throws InterruptedException {
        Queue q = queue(session);
        List<RecipeNode> nodes = q.nodes();
        for (int i = q.holders(); i < nodes.size(); i++) {
            if (nodes.get(i).sessionId() == session.sessionId()) {
                StringBuilder b = new StringBuilder("queued: ").append(ordinal(i - q.holders() + 1))
                        .append(" in line; ").append(heldBy()).append(' ');
                for (int h = 0; h < q.holders(); h++) {
                    RecipeNode n = nodes.get(h);
                    b.append(h == 0 ? "" : ", ").append('[').append(n.owner().id()).append("] " + fenceName() + " 0x")
                            .append(Long.toHexString(n.fence()));
                }
                if (q.holders() == 0) {
                    b.append("nobody (being handed over)");
                }
                return b.toString();
            }
        }
        return null;
    }
}
