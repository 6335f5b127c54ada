package io.github.zkrecipes.samples;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Lines typed by the user, as futures, for {@code --interactive}: a daemon thread reads them (a
 * read of standard input cannot be interrupted, so it must not be the command's thread). End of
 * input reads as {@code null}.
 */
final class Keyboard {
    private final LinkedBlockingQueue<CompletableFuture<String>> pending = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<String> typed = new LinkedBlockingQueue<>();
    private static final String EOF = new String("EOF"); // identity marks end of input

    private Keyboard() {}

    static Keyboard of(InputStream in) {
        Keyboard k = new Keyboard();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, Charset.defaultCharset()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    k.typed.add(line);
                }
            } catch (IOException e) {
                // treated as end of input
            }
            k.typed.add(EOF);
        }, "zkr-keyboard");
        t.setDaemon(true);
        t.start();
        return k;
    }

    /** The next line (stripped), or {@code null} at end of input; completes on a thread of its own. */
    CompletableFuture<String> nextLine() {
        return CompletableFuture.supplyAsync(() -> {
            try {
                String line = typed.take();
                if (line == EOF) {
                    typed.add(EOF); // stays at the end for every later call
                    return null;
                }
                return line.strip();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }, r -> {
            Thread t = new Thread(r, "zkr-keyboard-wait");
            t.setDaemon(true);
            t.start();
        });
    }
}
