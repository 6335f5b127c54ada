package io.github.zkrecipes.it.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The thing a lock protects: one counter, served on a loopback socket by a single thread, that
 * accepts a read or a write only with a fencing token at least as large as the largest it has seen
 * (a read with a token raises the bar too, so a holder that read before a pause cannot write after
 * a newer holder read). Every attempt is logged, accepted or not.
 *
 * <p>Protocol, one line each way: {@code READ <client> <token>} → {@code OK <value>} or {@code
 * REJECT <highest>}; {@code WRITE <client> <token> <value>} → {@code OK} or {@code REJECT
 * <highest>}.
 */
final class FencedResource implements AutoCloseable {

    /** One attempt, in the order the resource's single thread handled it. */
    record Attempt(long nanos, String client, String op, long token, long value, boolean accepted) { }

    private final ServerSocket listener;
    private final ExecutorService single = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fenced-resource");
        t.setDaemon(true);
        return t;
    });
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final List<Attempt> log = new ArrayList<>(); // touched only by the single thread
    private long highest = Long.MIN_VALUE;
    private long value;

    FencedResource() {
        try {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread t = new Thread(this::acceptLoop, "fenced-resource-accept");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Every attempt so far, in handling order. */
    List<Attempt> log() {
        return onThread(() -> List.copyOf(log));
    }

    long value() {
        return onThread(() -> value);
    }

    /** Handles one request line; runs on the single thread. */
    private String handle(String line) {
        String[] f = line.split(" ");
        long token = Long.parseLong(f[2]);
        boolean ok = token >= highest;
        long v = f[0].equals("WRITE") ? Long.parseLong(f[3]) : value;
        log.add(new Attempt(System.nanoTime(), f[1], f[0], token, v, ok));
        if (!ok) {
            return "REJECT " + highest;
        }
        highest = token;
        if (f[0].equals("WRITE")) {
            value = v;
            return "OK";
        }
        return "OK " + value;
    }

    private void acceptLoop() {
        while (true) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                return;
            }
            connections.add(s);
            Thread t = new Thread(() -> serve(s), "fenced-resource-conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket s) {
        try (s; BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                StandardCharsets.UTF_8))) {
            OutputStream out = s.getOutputStream();
            for (String line; (line = in.readLine()) != null; ) {
                String request = line;
                String reply = onThread(() -> handle(request));
                out.write((reply + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // client gone
        } finally {
            connections.remove(s);
        }
    }

    private <T> T onThread(java.util.concurrent.Callable<T> c) {
        Future<T> f = single.submit(c);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : connections) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        single.shutdownNow();
    }
}
