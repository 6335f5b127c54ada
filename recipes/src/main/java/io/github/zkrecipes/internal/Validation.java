package io.github.zkrecipes.internal;

import java.time.Duration;
import java.util.Objects;

/** Argument checks whose messages name the bad value. Not for users. */
public final class Validation {
    private Validation() {}

    /**
     * Checks a ZooKeeper connect string: {@code host:port[,host:port...][/chroot]}. A missing port
     * means 2181, as in ZooKeeper; IPv6 hosts go in brackets.
     *
     * @return the connect string, unchanged
     * @throws IllegalArgumentException naming the string and what is wrong with it
     */
    public static String connectString(String connectString) {
        if (connectString == null || connectString.isBlank()) {
            throw new IllegalArgumentException("connect string is empty: expected host:port[,host:port...][/chroot]");
        }
        String hosts = connectString;
        int slash = connectString.indexOf('/');
        if (slash >= 0) {
            hosts = connectString.substring(0, slash);
            String chroot = connectString.substring(slash);
            String problem = pathProblem(chroot);
            if (problem != null && !chroot.equals("/")) {
                throw new IllegalArgumentException(
                        "malformed connect string '" + connectString + "': chroot '" + chroot + "' " + problem);
            }
        }
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("malformed connect string '" + connectString + "': no host before the chroot");
        }
        for (String hostPort : hosts.split(",", -1)) {
            String hp = hostPort.trim();
            if (hp.isEmpty()) {
                throw new IllegalArgumentException("malformed connect string '" + connectString + "': empty host entry");
            }
            String host;
            String port = null;
            if (hp.startsWith("[")) {
                int close = hp.indexOf(']');
                if (close < 0) {
                    throw new IllegalArgumentException("malformed connect string '" + connectString + "': unclosed '[' in '" + hp + "'");
                }
                host = hp.substring(1, close);
                String rest = hp.substring(close + 1);
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw new IllegalArgumentException("malformed connect string '" + connectString + "': expected ':port' after ']' in '" + hp + "'");
                    }
                    port = rest.substring(1);
                }
            } else {
                int colon = hp.lastIndexOf(':');
                if (colon >= 0 && hp.indexOf(':') != colon) {
                    throw new IllegalArgumentException("malformed connect string '" + connectString + "': IPv6 address '" + hp + "' must be written as [address]:port");
                }
                host = colon >= 0 ? hp.substring(0, colon) : hp;
                port = colon >= 0 ? hp.substring(colon + 1) : null;
            }
            if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("malformed connect string '" + connectString + "': bad host in '" + hp + "'");
            }
            if (port != null) {
                int p;
                try {
                    p = Integer.parseInt(port);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("malformed connect string '" + connectString + "': port '" + port + "' of '" + hp + "' is not a number");
                }
                if (p < 1 || p > 65535) {
                    throw new IllegalArgumentException("malformed connect string '" + connectString + "': port " + p + " of '" + hp + "' is outside 1-65535");
                }
            }
        }
        return connectString;
    }

    /**
     * Checks an absolute znode path that a recipe will use as its directory.
     *
     * @return the path, unchanged
     * @throws IllegalArgumentException naming the path and what is wrong with it
     */
    public static String recipePath(String path) {
        String problem = pathProblem(path);
        if (problem != null) {
            throw new IllegalArgumentException("invalid znode path '" + path + "': " + problem);
        }
        if (path.equals("/")) {
            throw new IllegalArgumentException("invalid znode path '/': a recipe needs a directory of its own, not the root");
        }
        if (path.equals("/zookeeper") || path.startsWith("/zookeeper/")) {
            throw new IllegalArgumentException("invalid znode path '" + path + "': /zookeeper is reserved for the server");
        }
        return path;
    }

    /** Checks a namespace (a path prefix without the leading slash), or null for none. */
    public static String namespace(String namespace) {
        if (namespace == null || namespace.isEmpty()) {
            return null;
        }
        String problem = pathProblem("/" + namespace);
        if (problem != null || namespace.startsWith("/")) {
            throw new IllegalArgumentException("invalid namespace '" + namespace + "': "
                    + (problem != null ? problem : "write it without the leading '/'"));
        }
        return namespace;
    }

    /**
     * Returns what is wrong with a znode path (ZooKeeper's rules), or null if it is valid.
     * ZooKeeper itself would answer with a bare {@code IllegalArgumentException} from deep inside
     * the client; this names the path.
     */
    public static String pathProblem(String path) {
        if (path == null) {
            return "it is null";
        }
        if (path.isEmpty()) {
            return "it is empty";
        }
        if (path.charAt(0) != '/') {
            return "it must start with '/'";
        }
        if (path.length() == 1) {
            return null;
        }
        if (path.charAt(path.length() - 1) == '/') {
            return "it must not end with '/'";
        }
        String[] parts = path.substring(1).split("/", -1);
        for (String part : parts) {
            if (part.isEmpty()) {
                return "it has an empty segment ('//')";
            }
            if (part.equals(".") || part.equals("..")) {
                return "relative segments ('.', '..') are not allowed";
            }
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == 0) {
                return "it contains a null character at index " + i;
            }
            if ((c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009F')
                    || (c >= '\ud800' && c <= '\uf8ff') || (c >= '\ufff0' && c <= '\uffff')) {
                return "it contains an invalid character (U+" + String.format("%04X", (int) c) + ") at index " + i;
            }
        }
        return null;
    }

    /** Checks that a duration is positive; names the parameter and the value. */
    public static Duration positive(String what, Duration value) {
        Objects.requireNonNull(value, what);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(what + " must be positive, was " + value);
        }
        return value;
    }

    /** Checks that a duration is not null; zero and negative are allowed (they mean "don't wait"). */
    public static Duration timeout(Duration value) {
        if (value == null) {
            throw new IllegalArgumentException("timeout is null: pass Duration.ZERO not to wait");
        }
        return value;
    }
}
