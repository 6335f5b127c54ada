package io.github.zkrecipes.testing;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/** A blocking call on a thread of its own, so that a test can interrupt it and await its outcome. */
public final class Worker<T> {
    private final CompletableFuture<T> future = new CompletableFuture<>();
    private final Thread thread;

    private Worker(String name, Callable<T> call) {
        thread = new Thread(() -> {
            try {
                future.complete(call.call());
            } catch (Throwable t) {
                future.completeExceptionally(t);
            }
        }, name);
        thread.setDaemon(true);
    }

    /** Starts {@code call} on a new thread named {@code name}. */
    public static <T> Worker<T> start(String name, Callable<T> call) {
        Worker<T> w = new Worker<>(name, call);
        w.thread.start();
        return w;
    }

    public CompletableFuture<T> future() {
        return future;
    }

    /** True while the worker's thread is parked (waiting, with or without a timeout). */
    public boolean isBlocked() {
        Thread.State st = thread.getState();
        return st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING;
    }

    public boolean isDone() {
        return future.isDone();
    }

    public void interrupt() {
        thread.interrupt();
    }

    /** The result, waiting at most {@link TestTimeouts#patience()}. */
    public T result() throws Exception {
        return Await.result(thread.getName(), future);
    }

    /** What the call threw, waiting at most {@link TestTimeouts#patience()}. */
    public Throwable failure() throws InterruptedException {
        return Await.failure(thread.getName(), future);
    }
}
