package io.github.zkrecipes.it.chaos;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback relay in front of one server that reads ZooKeeper's length-prefixed frames and cuts
 * the connection at an exact request: the k-th client request whose frame mentions the recipe's
 * path (pings, auth and watch re-registration have negative xids and are not counted). In {@link
 * Mode#DROP_REQUEST} the request never reaches the server; in {@link Mode#SWALLOW_REPLY} it is
 * forwarded, applied, and its reply is swallowed. Either way both sockets are then reset, once;
 * later connections pass untouched.
 */
final class CuttingRelay implements AutoCloseable {
    enum Mode { DROP_REQUEST, SWALLOW_REPLY }

    private final int upstreamPort;
    private final byte[] marker;
    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final AtomicInteger counted = new AtomicInteger();
    private final AtomicBoolean fired = new AtomicBoolean();
    private volatile int cutAt = -1;
    private volatile Mode mode = Mode.DROP_REQUEST;

    CuttingRelay(int upstreamPort, String path) {
        this.upstreamPort = upstreamPort;
        this.marker = path.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        try {
            listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Thread t = new Thread(this::acceptLoop, "cutting-relay-accept");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Counts from zero again, and cuts at the {@code k}-th counted request (k &lt; 1: never). */
    void arm(int k, Mode m) {
        mode = m;
        fired.set(false);
        counted.set(0);
        cutAt = k;
    }

    int counted() {
        return counted.get();
    }

    boolean fired() {
        return fired.get();
    }

    @Override
    public void close() {
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        sockets.forEach(CuttingRelay::abort);
    }

    private void acceptLoop() {
        while (true) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                return;
            }
            Socket server = new Socket();
            try {
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2000);
            } catch (IOException e) {
                abort(client);
                continue;
            }
            sockets.add(client);
            sockets.add(server);
            Connection c = new Connection(client, server);
            start(c::up, "cutting-relay-up");
            start(c::down, "cutting-relay-down");
        }
    }

    private static void start(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    private final class Connection {
        private final Socket client;
        private final Socket server;
        private volatile int swallowXid = Integer.MIN_VALUE;

        Connection(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void up() {
            try {
                DataInputStream in = new DataInputStream(client.getInputStream());
                DataOutputStream out = new DataOutputStream(server.getOutputStream());
                forward(in, out); // ConnectRequest: no request header
                while (true) {
                    byte[] frame = readFrame(in);
                    int xid = ByteBuffer.wrap(frame).getInt();
                    if (xid >= 0 && contains(frame, marker)) {
                        int n = counted.incrementAndGet();
                        if (n == cutAt && fired.compareAndSet(false, true)) {
                            if (mode == Mode.DROP_REQUEST) {
                                cut();
                                return;
                            }
                            swallowXid = xid;
                        }
                    }
                    writeFrame(out, frame);
                }
            } catch (IOException e) {
                cut();
            }
        }

        void down() {
            try {
                DataInputStream in = new DataInputStream(server.getInputStream());
                DataOutputStream out = new DataOutputStream(client.getOutputStream());
                forward(in, out); // ConnectResponse
                while (true) {
                    byte[] frame = readFrame(in);
                    if (ByteBuffer.wrap(frame).getInt() == swallowXid) {
                        cut(); // applied on the server; the client never learns
                        return;
                    }
                    writeFrame(out, frame);
                }
            } catch (IOException e) {
                cut();
            }
        }

        private void cut() {
            abort(client);
            abort(server);
            sockets.remove(client);
            sockets.remove(server);
        }
    }

    private static void forward(DataInputStream in, DataOutputStream out) throws IOException {
        writeFrame(out, readFrame(in));
    }

    private static byte[] readFrame(DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > 16 * 1024 * 1024) {
            throw new IOException("bad frame length " + len);
        }
        byte[] b = new byte[len];
        in.readFully(b);
        return b;
    }

    private static void writeFrame(DataOutputStream out, byte[] frame) throws IOException {
        out.writeInt(frame.length);
        out.write(frame);
        out.flush();
    }

    private static boolean contains(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static void abort(Socket s) {
        try {
            s.setSoLinger(true, 0);
            s.close();
        } catch (IOException ignored) {
            // gone
        }
    }
}
