package io.github.zkrecipes;

/**
 * A registered listener. {@link #close()} unregisters it; closing twice is harmless.
 */
@FunctionalInterface
public interface Registration extends AutoCloseable {
    @Override
    void close();
}
