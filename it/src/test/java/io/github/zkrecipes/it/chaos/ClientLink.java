package io.github.zkrecipes.it.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * One client's network: a {@link Proxy} in front of each server, used by that client only, so a
 * fault on the link hits that client and nobody else (it cannot dodge a blackhole by failing over).
 */
final class ClientLink implements AutoCloseable {
    private final List<Proxy> proxies = new ArrayList<>();

    ClientLink(String name, ServerEnsemble ensemble) {
        for (int i = 0; i < ServerEnsemble.SIZE; i++) {
            proxies.add(new Proxy(name + "-s" + (i + 1), ensemble.clientPort(i)));
        }
    }

    String connectString() {
        StringJoiner j = new StringJoiner(",");
        for (Proxy p : proxies) {
            j.add("127.0.0.1:" + p.port());
        }
        return j.toString();
    }

    void blackhole() {
        proxies.forEach(Proxy::blackhole);
    }

    void heal() {
        proxies.forEach(Proxy::heal);
    }

    /** Resets the client's connections; it reconnects through any proxy. */
    void reset() {
        proxies.forEach(Proxy::reset);
    }

    void delay(long millis) {
        proxies.forEach(p -> p.delay(millis));
    }

    Proxy proxy(int server) {
        return proxies.get(server);
    }

    @Override
    public void close() {
        proxies.forEach(Proxy::close);
    }
}
