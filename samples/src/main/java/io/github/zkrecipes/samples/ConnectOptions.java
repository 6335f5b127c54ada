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
    }

    /** Opens a session named {@code participantId} ({@code null}: the default, host:pid). */
    ZkSession session(Ensemble ensemble, String participantId) {
        ZkSession.Builder b = ZkSession.builder(ensemble.connectString())
                .connectionTimeout(connectTimeout)
                .sessionTimeout(sessionTimeout);
        if (participantId != null) {
            b.participantId(participantId);
        }
        return b.connect();
    }
}
