package io.github.zkrecipes.samples;

import io.github.zkrecipes.ZkSession;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --connect} and {@code --connect-timeout}, shared by every command that talks to an ensemble. */
final class ConnectOptions {
    @Option(names = "--connect", paramLabel = "host:port[,...]",
            description = "The ZooKeeper ensemble to use (host:port[,host:port...][/chroot]). "
                    + "Without it, zkr starts an embedded ZooKeeper for the command.")
    String connect;

    @Option(names = "--connect-timeout", paramLabel = "<duration>", converter = Durations.class,
            defaultValue = "10s",
            description = "How long to wait for the ensemble to answer before giving up (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    @Option(names = "--session-timeout", paramLabel = "<duration>", converter = Durations.class,
            defaultValue = "10s",
            description = "The session timeout to ask for; the ensemble clamps it to [2, 20] x its tickTime "
                    + "(default: ${DEFAULT-VALUE}). A holder silent for longer loses what it holds.")
    Duration sessionTimeout;

    @Option(names = "--digest", paramLabel = "user:password",
            description = "Authenticate with ZooKeeper's digest scheme as this user (to read, or take part in, "
                    + "a tenant's secure recipes).")
    String digest;

    @Option(names = "--secure",
            description = "Create recipe nodes in secure mode: writable and readable only by the --digest identity "
                    + "(see docs/SECURITY.md).")
    boolean secure;

    /**
     * Checks the connect string before anything starts: a malformed one fails at once with a
     * message naming it, instead of after the connection timeout.
     *
     * @throws IllegalArgumentException naming the connect string
     */
    void validate(ZkrCommand command) {
        if (connectTimeout.isZero()) {
            throw command.badValue("--connect-timeout must be more than 0, was '0'");
        }
        if (sessionTimeout.isZero()) {
            throw command.badValue("--session-timeout must be more than 0, was '0'");
        }
        if (connect != null) {
            ZkSession.builder(connect); // the builder checks the string; nothing connects yet
        }
        if (digest != null && (digest.indexOf(':') <= 0)) {
            throw command.badValue("--digest must be user:password, was '" + (digest.isEmpty() ? "" : "...") + "'");
        }
        if (secure && digest == null) {
            throw command.badValue("--secure needs an identity: give --digest user:password");
        }
    }

    /** Opens a session named {@code participantId} ({@code null}: the default, host:pid). */
    ZkSession session(Ensemble ensemble, String participantId) {
        ZkSession.Builder b = ZkSession.builder(ensemble.connectString())
                .connectionTimeout(connectTimeout)
                .sessionTimeout(sessionTimeout);
        if (participantId != null) {
            b.participantId(participantId);
        }
        if (digest != null) {
            int colon = digest.indexOf(':');
            b.digest(digest.substring(0, colon), digest.substring(colon + 1));
        }
        if (secure) {
            b.secure();
        }
        return b.connect();
    }
}
