package io.github.zkrecipes.samples;

/**
 * Just enough JSON output for {@code zkr inspect --json}: objects, arrays, strings, numbers,
 * booleans and null, with commas placed for the caller. Strings are escaped per RFC 8259 (quote,
 * backslash, and control characters as {@code \\uXXXX}). No library: zkr's jar stays small.
 */
final class Json {
    private final StringBuilder b = new StringBuilder();
    /** One flag per open container: true until its first element is written. */
    private final java.util.ArrayDeque<boolean[]> open = new java.util.ArrayDeque<>();
    private boolean afterName;

    Json beginObject() {
        element();
        b.append('{');
        open.push(new boolean[] {true});
        return this;
    }

    Json endObject() {
        open.pop();
        b.append('}');
        return this;
    }

    Json beginArray() {
        element();
        b.append('[');
        open.push(new boolean[] {true});
        return this;
    }

    Json endArray() {
        open.pop();
        b.append(']');
        return this;
    }

    /** The name of the next member of the current object. */
    Json name(String name) {
        element();
        quote(name);
        b.append(':');
        afterName = true;
        return this;
    }

    Json value(String s) {
        element();
        if (s == null) {
            b.append("null");
        } else {
            quote(s);
        }
        return this;
    }

    Json value(long n) {
        element();
        b.append(n);
        return this;
    }

    /** A finite number with up to 3 decimals; NaN and infinities (not JSON) as null. */
    Json value(double d) {
        element();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            b.append("null");
        } else {
            b.append(java.math.BigDecimal.valueOf(d).setScale(3, java.math.RoundingMode.HALF_UP).stripTrailingZeros()
                    .toPlainString());
        }
        return this;
    }

    Json field(String name, double d) {
        return name(name).value(d);
    }

    Json value(boolean v) {
        element();
        b.append(v);
        return this;
    }

    Json field(String name, String s) {
        return name(name).value(s);
    }

    Json field(String name, long n) {
        return name(name).value(n);
    }

    Json field(String name, boolean v) {
        return name(name).value(v);
    }

    private void element() {
        if (afterName) {
            afterName = false;
            return;
        }
        boolean[] first = open.peek();
        if (first != null) {
            if (!first[0]) {
                b.append(',');
            }
            first[0] = false;
        }
    }

    private void quote(String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }

    @Override
    public String toString() {
        return b.toString();
    }
}
