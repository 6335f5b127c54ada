package io.github.zkrecipes.groups;

/**
 * A {@link GroupConfig} value with the version it was read or written at: pass the version to
 * {@link GroupConfig#compareAndSet} to change exactly this value.
 *
 * @param value the value, or null if there is no configuration ({@link #ABSENT})
 * @param version the ZooKeeper data version (0 when first written, +1 per write), or {@link
 *     #ABSENT}
 */
public record Versioned<T>(T value, int version) {
    /** The version of a configuration that does not exist: compare-and-set with it creates one. */
    public static final int ABSENT = -1;

    static <T> Versioned<T> absent() {
        return new Versioned<>(null, ABSENT);
    }

    public boolean exists() {
        return version != ABSENT;
    }
}
