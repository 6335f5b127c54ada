package io.github.zkrecipes.it.chaos;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One entry of a history: at {@code nanos} ({@code System.nanoTime()}, comparable across the JVMs
 * of one host), {@code process} recorded {@code type} ({@code invoke}, {@code ok}, {@code fail},
 * {@code info}; the nemesis records {@code fault}) of operation {@code op}, with attributes.
 *
 * <p>Wire form, one line on a worker's standard output: {@code EV <nanos> <process> <type> <op>
 * key=value...} (values without spaces).
 */
record Event(long nanos, String process, String type, String op, Map<String, String> attrs) {
    static final String PREFIX = "EV ";

    static Event of(long nanos, String process, String type, String op, Object... keyValues) {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            a.put(String.valueOf(keyValues[i]), String.valueOf(keyValues[i + 1]).replace(' ', '_'));
        }
        return new Event(nanos, process, type, op, a);
    }

    static Event parse(String line) {
        String[] f = line.substring(PREFIX.length()).trim().split(" ");
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 4; i < f.length; i++) {
            int eq = f[i].indexOf('=');
            if (eq > 0) {
                a.put(f[i].substring(0, eq), f[i].substring(eq + 1));
            }
        }
        return new Event(Long.parseLong(f[0]), f[1], f[2], f[3], a);
    }

    String format() {
        StringJoiner j = new StringJoiner(" ");
        j.add(PREFIX.trim()).add(Long.toString(nanos)).add(process).add(type).add(op);
        attrs.forEach((k, v) -> j.add(k + "=" + v));
        return j.toString();
    }

    boolean is(String type, String op) {
        return this.type.equals(type) && this.op.equals(op);
    }

    String get(String key) {
        return attrs.get(key);
    }

    long num(String key) {
        String v = attrs.get(key);
        if (v == null) {
            throw new IllegalArgumentException("event has no " + key + ": " + format());
        }
        return Long.parseLong(v);
    }

    @Override
    public String toString() {
        return format();
    }
}
