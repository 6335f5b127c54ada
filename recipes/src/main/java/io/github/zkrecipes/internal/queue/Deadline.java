package io.github.zkrecipes.internal.queue;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A point in monotonic time ({@link System#nanoTime()}) by which a blocking call must return, or
 * none. Never a wall-clock time: safety and timeouts do not depend on clock steps.
 */
public final class Deadline {
    private static final Deadline NONE = new Deadline(0, true);

    private final long atNanos;
    private final boolean forever;

    private Deadline(long atNanos, boolean forever) {
        this.atNanos = atNanos;
        this.forever = forever;
    }

    /** No deadline: wait as long as it takes. */
    public static Deadline none() {
        return NONE;
    }

    /** A deadline {@code timeout} from now; zero or negative means already expired ("don't wait"). */
    public static Deadline after(Duration timeout) {
        long nanos;
        try {
            nanos = timeout.toNanos();
        } catch (ArithmeticException e) {
            return NONE; // longer than ~292 years
        }
        return new Deadline(System.nanoTime() + Math.max(0, nanos), false);
    }

    /** This deadline, or {@code min} from now if that is later. */
    public Deadline atLeast(Duration min) {
        if (forever) {
            return this;
        }
        long floor = System.nanoTime() + min.toNanos();
        return atNanos - floor >= 0 ? this : new Deadline(floor, false);
    }

    public boolean isForever() {
        return forever;
    }

    public boolean isExpired() {
        return !forever && remainingNanos() <= 0;
    }

    /** Nanoseconds left, at least 0; {@link Long#MAX_VALUE} when there is no deadline. */
    public long remainingNanos() {
        return forever ? Long.MAX_VALUE : Math.max(0, atNanos - System.nanoTime());
    }

    /** Milliseconds left, rounded up, at least 0; capped at {@link Integer#MAX_VALUE}. */
    public long remainingMillis() {
        return forever ? Integer.MAX_VALUE : Math.min(Integer.MAX_VALUE, TimeUnit.NANOSECONDS.toMillis(remainingNanos() + 999_999));
    }

    @Override
    public String toString() {
        return forever ? "no deadline" : "deadline in " + TimeUnit.NANOSECONDS.toMillis(remainingNanos()) + " ms";
    }
}
