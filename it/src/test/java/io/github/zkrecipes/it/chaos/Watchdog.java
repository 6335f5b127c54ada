package io.github.zkrecipes.it.chaos;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs in every child JVM (server or worker): the child halts when its standard input reaches
 * end-of-file (the test JVM that started it is gone, however it died) or when its maximum lifetime
 * passes, so no process outlives the test. Lines read from standard input are commands for the
 * child.
 */
final class Watchdog {
    static final String MAX_LIFETIME_PROPERTY = "chaos.maxLifetimeSeconds";

    private Watchdog() {}

    static void start(Consumer<String> commands) {
        long lifetime = Long.getLong(MAX_LIFETIME_PROPERTY, 600);
        Thread stdin = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    commands.accept(line.trim());
                }
            } catch (Throwable ignored) {
                // fall through: no parent to take commands from
            }
            Runtime.getRuntime().halt(70);
        }, "chaos-watchdog-stdin");
        stdin.setDaemon(true);
        stdin.start();
        Thread timer = new Thread(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(lifetime);
            while (System.nanoTime() - deadline < 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(Math.max(1, deadline - System.nanoTime()));
                } catch (InterruptedException e) {
                    return;
                }
            }
            System.err.println("chaos watchdog: lifetime of " + lifetime + " s exceeded, halting");
            Runtime.getRuntime().halt(71);
        }, "chaos-watchdog-lifetime");
        timer.setDaemon(true);
        timer.start();
    }
}
