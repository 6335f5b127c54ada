package io.github.zkrecipes.samples.bench;

import java.util.Arrays;

/**
 * One run of one scenario by one library: operations completed in the measured window and the
 * latency of each (acquire: from the call to the grant).
 *
 * @param ops operations completed in the measured window
 * @param seconds length of the measured window
 * @param latenciesNanos every operation's latency, unsorted
 */
public record Result(long ops, double seconds, long[] latenciesNanos) {

    /** Operations per second. */
    public double perSecond() {
        return seconds <= 0 ? 0 : ops / seconds;
    }

    /** The {@code q} quantile of the latencies (0..1) in milliseconds; 0 if there were none. */
    public double quantileMillis(double q) {
        if (latenciesNanos.length == 0) {
            return 0;
        }
        long[] sorted = latenciesNanos.clone();
        Arrays.sort(sorted);
        int i = (int) Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
        return sorted[i] / 1e6;
    }

    public double p50Millis() {
        return quantileMillis(0.50);
    }

    public double p99Millis() {
        return quantileMillis(0.99);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%.0f ops/s (p50 %.2f ms, p99 %.2f ms, n=%d)", perSecond(),
                p50Millis(), p99Millis(), ops);
    }
}
