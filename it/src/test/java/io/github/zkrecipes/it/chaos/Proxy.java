package io.github.zkrecipes.it.chaos;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
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
 *
 * <p>A client is accepted before the proxy dials the server, so a server that is not listening
 * shows as "connected, then reset", never as "refused". With {@code upstreamRetry}, and while no
 * fault is on, the proxy retries a refused upstream connect every 50 ms for that long before it
 * resets the client, so a peer that dials a server a few milliseconds before it listens gets
 * through, as it would by retrying a refused connect itself. This matters for the server-server
 * proxies: a follower that dialled a just-elected leader ~10 ms before it listened saw the reset
 * after "Successfully connected" and waited initLimit (5 s) instead of retrying every 100 ms.
 * Client proxies keep no retry: a ZooKeeper client moves to its next server at once on the reset,
 * and a retry would add up to that long to every fail-over from a killed server.
 */
final class Proxy implements AutoCloseable {
    private static final long RETRY_EVERY_NANOS = 50_000_000L;

    private final String name;
    private final int upstreamPort;
    private final long upstreamRetryNanos;
    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    /** Accepted clients whose upstream connect is still being tried. */
    private final Set<Socket> pending = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private volatile boolean blackholed;
    private volatile boolean refusing;
    private volatile long delayNanos;
    private volatile boolean closed;

    Proxy(String name, int upstreamPort) {
        this(name, upstreamPort, Duration.ZERO);
    }

    /** With {@code upstreamRetry}: how long a refused upstream connect is retried (see the class comment). */
    Proxy(String name, int upstreamPort, Duration upstreamRetry) {
        this.name = name;
        this.upstreamPort = upstreamPort;
        this.upstreamRetryNanos = upstreamRetry.toNanos();
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
        for (Socket s : pending) {
            abort(s);
        }
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
            if (upstreamRetryNanos <= 0) {
                connectUpstream(client);
                continue;
            }
            // Retrying may take a while: on a thread of its own, so other clients are not held up.
            pending.add(client);
            Thread t = new Thread(() -> connectUpstream(client), "proxy-" + name + "-connect");
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Connects {@code client} to the server and starts relaying; retries a refused connect for
     * {@code upstreamRetryNanos} while no fault is on (a fault keeps its behaviour: the client is
     * reset), then resets the client.
     */
    private void connectUpstream(Socket client) {
        long deadline = System.nanoTime() + upstreamRetryNanos;
        try {
            while (true) {
                Socket server = new Socket();
                try {
                    server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2000);
                } catch (IOException e) {
                    abort(server);
                    long left = deadline - System.nanoTime();
                    if (e instanceof ConnectException && left > 0 && !faulty() && !client.isClosed()) {
                        // The retry's period, as a learner's own retry of a refused connect would wait.
                        LockSupport.parkNanos(Math.min(left, RETRY_EVERY_NANOS));
                        continue;
                    }
                    abort(client);
                    return;
                }
                if (refusing || closed || client.isClosed()) {
                    // refuse(), reset() or close() came while retrying: answered as they would have been at once.
                    abort(client);
                    abort(server);
                    return;
                }
                sockets.add(client);
                sockets.add(server);
                pump(client, server, "up");
                pump(server, client, "down");
                return;
            }
        } finally {
            pending.remove(client);
        }
    }

    /** A fault mode is on: blackholed, refusing, or closed. */
    private boolean faulty() {
        return blackholed || refusing || closed;
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
