package io.github.zkrecipes.it.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

/**
 * A loopback TCP relay in front of one ZooKeeper server, in the test JVM, that can
 * <ul>
 *   <li><b>blackhole</b>: keep every socket open but deliver nothing in either direction (what a
 *       partition looks like to both ends: no RST, no FIN, just silence). Bytes read meanwhile are
 *       held and delivered in order after {@link #heal()}, as TCP retransmission would; new
 *       connections are accepted and stall too;
 *   <li><b>reset</b> every connection it carries (RST to both ends);
 *   <li><b>refuse</b> new connections (accepted and reset at once);
 *   <li><b>delay</b> every chunk by a fixed time, order kept.
 * </ul>
 */
final class Proxy implements AutoCloseable {
    private final int upstreamPort;
    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private volatile boolean blackholed;
    private volatile boolean refusing;
    private volatile long delayNanos;
    private volatile boolean closed;

    Proxy(String name, int upstreamPort) {
        this.upstreamPort = upstreamPort;
        try {
            this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Thread t = new Thread(this::acceptLoop, "proxy-" + name + "-accept");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    void blackhole() {
        blackholed = true;
    }

    void heal() {
        synchronized (gate) {
            blackholed = false;
            refusing = false;
            delayNanos = 0;
            gate.notifyAll();
        }
    }

    void refuse(boolean on) {
        refusing = on;
    }

    void delay(long millis) {
        delayNanos = millis * 1_000_000L;
    }

    /** Resets every connection now (RST to both ends). */
    void reset() {
        for (Socket s : sockets) {
            abort(s);
        }
    }

    int connections() {
        return sockets.size() / 2;
    }

    @Override
    public void close() {
        closed = true;
        heal();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        reset();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            if (refusing) {
                abort(client);
                continue;
            }
            Socket server = new Socket();
            try {
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2000);
            } catch (IOException e) {
                abort(client);
                abort(server);
                continue;
            }
            sockets.add(client);
            sockets.add(server);
            pump(client, server, "up");
            pump(server, client, "down");
        }
    }

    private void pump(Socket from, Socket to, String direction) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    long readAt = System.nanoTime();
                    awaitOpen();
                    long d = delayNanos;
                    if (d > 0) {
                        long until = readAt + d;
                        for (long left; (left = until - System.nanoTime()) > 0; ) {
                            LockSupport.parkNanos(left);
                        }
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException | InterruptedException e) {
                abort(from);
                abort(to);
            } finally {
                if (from.isClosed() || to.isClosed() || (from.isInputShutdown() && to.isOutputShutdown())) {
                    sockets.remove(from);
                    sockets.remove(to);
                }
            }
        }, "proxy-" + upstreamPort + "-" + direction);
        t.setDaemon(true);
        t.start();
    }

    private void awaitOpen() throws InterruptedException {
        synchronized (gate) {
            while (blackholed && !closed) {
                gate.wait();
            }
        }
    }

    private static void abort(Socket s) {
        try {
            if (!s.isClosed()) {
                s.setSoLinger(true, 0);
                s.close();
            }
        } catch (IOException ignored) {
            // already gone
        }
    }
}
