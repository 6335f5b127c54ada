package io.github.zkrecipes.testing;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting on conditions with a deadline, never on {@code Thread.sleep}. */
public final class Await {
    private Await() {}

    /** Polls {@code condition} every few milliseconds until it holds; fails after {@link TestTimeouts#patience()}. */
    public static void until(String what, BooleanSupplier condition) {
        until(what, condition, TestTimeouts.patience());
    }

    /** Polls {@code condition} until it holds; fails with {@code what} after {@code timeout} (scaled). */
    public static void until(String what, BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + TestTimeouts.scaled(timeout).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting until " + what);
            }
        }
    }

    /** Polls {@code value} until it returns non-null, and returns it. */
    public static <T> T value(String what, Supplier<T> value) {
        Object[] box = new Object[1];
        until(what, () -> (box[0] = value.get()) != null);
        @SuppressWarnings("unchecked")
        T t = (T) box[0];
        return t;
    }

    /** Waits for the latch; fails after {@link TestTimeouts#patience()}. */
    public static void latch(String what, CountDownLatch latch) throws InterruptedException {
        if (!latch.await(TestTimeouts.patience().toNanos(), TimeUnit.NANOSECONDS)) {
            throw new AssertionError("timed out waiting for " + what);
        }
    }

    /** The future's value; fails after {@link TestTimeouts#patience()}; rethrows what it threw. */
    public static <T> T result(String what, Future<T> future) throws Exception {
        try {
            return future.get(TestTimeouts.patience().toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /** What the future failed with; fails if it completes normally or not in time. */
    public static Throwable failure(String what, CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(TestTimeouts.patience().toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what + " to fail", e);
        }
        throw new AssertionError(what + " completed normally; expected a failure");
    }

    /**
     * The one sanctioned quiet period: asserts {@code condition} stays false for {@code period}.
     * Use only after a positive witness that the thing watched is in place (a waiter visibly
     * queued), to check that it is <em>not</em> released early.
     */
    public static void stillFalse(String what, BooleanSupplier condition, Duration period) {
        long end = System.nanoTime() + period.toNanos();
        while (System.nanoTime() - end < 0) {
            if (condition.getAsBoolean()) {
                throw new AssertionError("expected not to happen, but it did: " + what);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }
}
