package io.github.zkrecipes.groups;

import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a {@link GroupConfig} value is stored as bytes. zk-recipes has no JSON dependency: for JSON,
 * wrap your own mapper with {@link #text}, for example {@code Codec.text(mapper::writeValueAsString,
 * s -> mapper.readValue(s, Settings.class))} (checked exceptions wrapped by you).
 */
public interface Codec<T> {
    byte[] encode(T value);

    /** Decodes stored bytes (never null; empty for an empty node). May throw on foreign data. */
    T decode(byte[] data);

    /** Bytes as they are (copied). */
    static Codec<byte[]> bytes() {
        return new Codec<>() {
            @Override
            public byte[] encode(byte[] value) {
                return Objects.requireNonNull(value, "value").clone();
            }

            @Override
            public byte[] decode(byte[] data) {
                return data.clone();
            }
        };
    }

    /** UTF-8 text. */
    static Codec<String> utf8() {
        return text(Function.identity(), Function.identity());
    }

    /** Values written as UTF-8 text by {@code format} and read back by {@code parse}: the JSON hook. */
    static <T> Codec<T> text(Function<T, String> format, Function<String, T> parse) {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(parse, "parse");
        return new Codec<>() {
            @Override
            public byte[] encode(T value) {
                return Objects.requireNonNull(format.apply(Objects.requireNonNull(value, "value")), "formatted value")
                        .getBytes(StandardCharsets.UTF_8);
            }

            @Override
            public T decode(byte[] data) {
                return parse.apply(new String(data, StandardCharsets.UTF_8));
            }
        };
    }
}
