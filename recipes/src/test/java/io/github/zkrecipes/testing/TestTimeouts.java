package io.github.zkrecipes.testing;

import java.time.Duration;

/**
 * The one timing knob of every zk-recipes test: the system property {@code zkr.test.timeoutScale}
 * (default 1) multiplies every test timeout, for slow machines. Timeouts here bound waits for
 * conditions; no test sleeps.
 */
public final class TestTimeouts {
    private static final double SCALE = Double.parseDouble(System.getProperty("zkr.test.timeoutScale", "1"));

    private TestTimeouts() {}

    /** {@code base} times the scale. */
    public static Duration scaled(Duration base) {
        return Duration.ofNanos((long) (base.toNanos() * SCALE));
    }

    /** The default bound on waiting for something that should happen promptly (30 s scaled). */
    public static Duration patience() {
        return scaled(Duration.ofSeconds(30));
    }
}
