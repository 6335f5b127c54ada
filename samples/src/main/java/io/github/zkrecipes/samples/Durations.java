package io.github.zkrecipes.samples;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Durations on the command line: {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 3m}, {@code 1h},
 * or ISO-8601 ({@code PT2S}). Negative durations are refused with a message naming the value;
 * zero is allowed (an option's help says what it means).
 */
final class Durations implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        Duration d = parse(value);
        if (d.isNegative()) {
            throw new TypeConversionException("'" + value + "' is negative; a duration must be 0 or more");
        }
        return d;
    }

    static Duration parse(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("-pt") || v.startsWith("p")) {
                return Duration.parse(v.toUpperCase(Locale.ROOT));
            }
            long unitNanos;
            String number;
            if (v.endsWith("ms")) {
                unitNanos = 1_000_000L;
                number = v.substring(0, v.length() - 2);
            } else if (v.endsWith("s")) {
                unitNanos = 1_000_000_000L;
                number = v.substring(0, v.length() - 1);
            } else if (v.endsWith("m")) {
                unitNanos = 60_000_000_000L;
                number = v.substring(0, v.length() - 1);
            } else if (v.endsWith("h")) {
                unitNanos = 3_600_000_000_000L;
                number = v.substring(0, v.length() - 1);
            } else {
                throw new TypeConversionException("'" + value + "' is not a duration: give a unit, as in 500ms, 2s, 1.5m, 1h");
            }
            double amount = Double.parseDouble(number.strip());
            if (Double.isNaN(amount) || Double.isInfinite(amount) || Math.abs(amount * unitNanos) > Long.MAX_VALUE / 2) {
                throw new TypeConversionException("'" + value + "' is not a usable duration");
            }
            return Duration.ofNanos(Math.round(amount * unitNanos));
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new TypeConversionException("'" + value + "' is not a duration: expected e.g. 500ms, 2s, 1.5m, 1h or PT2S");
        }
    }

    /** For display: {@code 2s}, {@code 1.5s}, {@code 250ms}. */
    static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        return ms % 1000 == 0 ? (ms / 1000) + "s" : String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
}
