package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One of the demo's characters: a session and a thread of its own. Lock handles belong to the
 * thread that acquired them, so each character acquires, writes and releases on its own thread,
 * while the narrator (the command's thread) starts steps and waits for them.
 */
final class Actor implements AutoCloseable {
    /** How long any one step may take before the demo gives up. */
    static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

    private final String name;
    private final ZkSession session;
    private final ExecutorService thread;

    Actor(String name, ZkSession session) {
        this.name = name;
        this.session = session;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true); // a step that never ends must not keep the JVM alive after a failure
            return t;
        });
    }

    String name() {
        return name;
    }

    /** {@code [name]}, as the narrative writes it. */
    String tag() {
        return "[" + name + "]";
    }

    ZkSession session() {
        return session;
    }

    /** Starts {@code step} on this actor's thread. */
    <T> CompletableFuture<T> start(Callable<T> step) {
        CompletableFuture<T> f = new CompletableFuture<>();
        thread.execute(() -> {
            try {
                f.complete(step.call());
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Runs {@code step} on this actor's thread and waits for it. */
    <T> T run(Callable<T> step, String what) throws Exception {
        return await(start(step), what);
    }

    /** Runs {@code step} on this actor's thread and waits for it. */
    void act(Step step, String what) throws Exception {
        run(() -> {
            step.run();
            return null;
        }, what);
    }

    /** A step that returns nothing. */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /** Waits for {@code future} at most {@link #STEP_TIMEOUT}; a failure is rethrown as itself. */
    static <T> T await(CompletableFuture<T> future, String what) throws Exception {
        try {
            return future.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new TimeoutException("gave up after " + STEP_TIMEOUT.toSeconds() + " s waiting for " + what);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Polls {@code condition} (a read of the server) until it holds, at most {@link #STEP_TIMEOUT}. */
    static void awaitTrue(Check condition, String what) throws Exception {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (!condition.holds()) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("gave up after " + STEP_TIMEOUT.toSeconds() + " s waiting until " + what);
            }
            // A short park between reads of the server: the queue is observable only by asking.
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            if (Thread.interrupted()) {
                throw new InterruptedException("interrupted waiting until " + what);
            }
        }
    }

    /** A condition read from the server. */
    @FunctionalInterface
    interface Check {
        boolean holds() throws Exception;
    }

    /** Stops the thread (the session is closed by its owner). */
    @Override
    public void close() {
        thread.shutdownNow();
    }
}
