package io.github.zkrecipes.samples;

import io.github.zkrecipes.RecipeNode;
import io.github.zkrecipes.SessionLostException;
import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.groups.BarrierFullException;
import io.github.zkrecipes.groups.ZkDoubleBarrier;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code zkr barrier}: one participant of a double barrier ({@link ZkDoubleBarrier}). Each round
 * it enters and waits for {@code --parties} participants, stays inside for {@code --hold}, then
 * leaves and waits for everyone of the round to leave. While it waits to enter, a second thread
 * reads who is in (about 2 round trips every {@link #POLL}) and prints it when that changes.
 */
@Command(name = "barrier",
        description = {
            "Enter a double barrier, wait for the others, stay inside, leave together; print each step with a timestamp.",
            "%nRun it in --parties terminals with the same --connect and --path: nobody passes the entry until all "
                    + "have arrived, and nobody passes the exit until all have left.%n"})
final class BarrierCommand extends RoundCommand {
    private static final Duration POLL = Duration.ofMillis(250);

    @Option(names = "--path", paramLabel = "<znode>", defaultValue = "/zkr/barrier",
            description = "The barrier's directory (default: ${DEFAULT-VALUE}).")
    String path;

    @Option(names = "--parties", paramLabel = "<n>", defaultValue = "2",
            description = "How many participants each round needs (default: ${DEFAULT-VALUE}); all must agree.")
    int parties;

    @Option(names = "--timeout", paramLabel = "<duration>", converter = Durations.class,
            description = "Give up (exit code 3) if the others do not all enter, or all leave, within this time. "
                    + "Default: wait as long as it takes.")
    Duration timeout;

    @Override
    String path() {
        return path;
    }

    @Override
    void validateOptions() {
        if (parties < 1) {
            throw badValue("--parties must be at least 1, was " + parties);
        }
    }

    private ZkDoubleBarrier barrier;

    @Override
    void started(ZkSession session) {
        barrier = new ZkDoubleBarrier(session, path, parties); // one instance: one participant, every round
    }

    @Override
    void round(ZkSession session, int round) throws Exception {
        print("round %d: entering barrier %s (%d parties)", round, path, parties);
        long asked = System.nanoTime();
        boolean in;
        CompletableFuture<Void> entered = new CompletableFuture<>();
        Thread watcher = watchEntrants(entered);
        try {
            in = timeout == null ? enterForever() : barrier.enter(timeout);
        } catch (BarrierFullException e) {
            throw new Exception(oneLine(e) + "; try again once that round has left");
        } catch (SessionLostException e) {
            throw new Exit(Zkr.LOST, "lost the session while entering barrier " + path + ": " + oneLine(e));
        } finally {
            entered.complete(null);
            watcher.join(TimeUnit.SECONDS.toMillis(5));
        }
        if (!in) {
            print("not all %d parties entered within %s; left nothing behind", parties, Durations.format(timeout));
            throw new Exit(Zkr.NOT_GRANTED, "not all " + parties + " parties entered barrier " + path + " within "
                    + Durations.format(timeout));
        }
        print("ENTERED round %d of %s with all %d parties, after %s", barrier.round(), path, parties, since(asked));
        long inside = System.nanoTime();
        if (interactive) {
            print("inside; Enter leaves and goes again, q and Enter leaves and quits");
        }
        // Nothing is lost inside a barrier: a participant that dies counts as having left.
        holdOrLose(new CompletableFuture<Void>());
        print("leaving after %s inside; waiting for the others to leave", since(inside));
        long leaving = System.nanoTime();
        boolean out;
        if (timeout == null) {
            barrier.leave();
            out = true;
        } else {
            out = barrier.leave(timeout);
        }
        if (!out) {
            print("not everyone left within %s (this participant has left)", Durations.format(timeout));
            throw new Exit(Zkr.NOT_GRANTED, "not all " + parties + " parties left barrier " + path + " within "
                    + Durations.format(timeout));
        }
        print("LEFT round %d: everyone is out, after %s", barrier.round(), since(leaving));
    }

    private boolean enterForever() throws InterruptedException {
        barrier.enter();
        return true;
    }

    /** Prints who is in while this participant waits to enter, when that changes. */
    private Thread watchEntrants(CompletableFuture<Void> entered) {
        Thread t = new Thread(() -> {
            String last = null;
            try {
                while (!waitFor(entered)) {
                    List<RecipeNode> in = barrier.participants();
                    String now = in.size() + " of " + parties + " in: " + in.stream()
                            .map(n -> "[" + n.owner().id() + "]").collect(Collectors.joining(", "));
                    if (!now.equals(last) && !entered.isDone()) {
                        print("waiting: %s", now);
                        last = now;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                // Only a progress report: enter itself reports what matters.
            }
        }, "zkr-barrier-watch");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static boolean waitFor(CompletableFuture<Void> f) throws InterruptedException {
        try {
            f.get(POLL.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        }
    }
}
