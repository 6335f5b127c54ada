package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Bad input to every subcommand: one line {@code zkr: <message naming the bad value>} on stderr,
 * a non-zero exit code, no stack trace, nothing on stdout. Checked before anything connects, so
 * no server is needed (except to be unreachable).
 */
class BadInputTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"demo", "election", "lock", "rwlock", "semaphore", "barrier", "group", "inspect"})
    void aMalformedConnectStringIsNamedOnOneLine(String command) {
        Run run = Run.zkr(command, "--connect", "localhost:abc");

        assertEquals(1, run.exitCode(), run.both());
        assertTrue(run.errorLine().startsWith("zkr: malformed connect string 'localhost:abc'"), run.both());
        assertFalse(run.err().contains("Exception"), run.both());
        assertEquals("", run.out(), run.both());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lock", "election", "barrier", "group", "inspect"})
    void anUnreachableEnsembleFailsAfterTheConnectTimeoutNamingIt(String command) throws IOException {
        String nobody = "127.0.0.1:" + closedPort();
        Run run = Run.zkr(command, "--connect", nobody, "--connect-timeout", "300ms");

        assertEquals(1, run.exitCode(), run.both());
        assertTrue(run.errorLine().startsWith("zkr: could not connect to ZooKeeper at '" + nobody + "'"), run.both());
    }

    static Stream<Arguments> badValues() {
        List<Arguments> cases = new ArrayList<>();
        for (String command : List.of("lock", "rwlock", "semaphore", "election", "barrier", "group")) {
            cases.add(Arguments.of(List.of(command, "--rounds", "-1"), "--rounds must be at least 1, was -1"));
            cases.add(Arguments.of(List.of(command, "--rounds", "0"), "--rounds must be at least 1, was 0"));
            cases.add(Arguments.of(List.of(command, "--hold", "-1s"), "'-1s' is negative"));
            cases.add(Arguments.of(List.of(command, "--hold", "soon"), "'soon' is not a duration"));
            if (!command.equals("group")) { // a join has no timeout: it waits for a connection, then is done
                cases.add(Arguments.of(List.of(command, "--timeout", "-5ms"), "'-5ms' is negative"));
            }
            cases.add(Arguments.of(List.of(command, "--duration", "0s"), "--duration must be more than 0"));
            cases.add(Arguments.of(List.of(command, "--connect-timeout", "0s"), "--connect-timeout must be more than 0"));
            cases.add(Arguments.of(List.of(command, "--path", "relative/path"), "invalid --path 'relative/path'"));
            cases.add(Arguments.of(List.of(command, "--path", "/a//b"), "invalid --path '/a//b'"));
            cases.add(Arguments.of(List.of(command, "--path", "/"), "invalid --path '/'"));
            cases.add(Arguments.of(List.of(command, "--rounds", "many"), "'many'"));
        }
        cases.add(Arguments.of(List.of("semaphore", "--permits", "0"), "--permits must be at least 1, was 0"));
        cases.add(Arguments.of(List.of("semaphore", "--count", "-2"), "--count must be at least 1, was -2"));
        cases.add(Arguments.of(List.of("semaphore", "--permits", "2", "--count", "3"),
                "--count 3 is more than the semaphore's 2 permits"));
        cases.add(Arguments.of(List.of("rwlock", "--mode", "sideways"), "'sideways'"));
        cases.add(Arguments.of(List.of("barrier", "--parties", "0"), "--parties must be at least 1, was 0"));
        cases.add(Arguments.of(List.of("barrier", "--parties", "-3"), "--parties must be at least 1, was -3"));
        cases.add(Arguments.of(List.of("barrier", "--parties", "three"), "'three'"));
        cases.add(Arguments.of(List.of("group", "--config", "batch"), "--config 'batch' is not key=value"));
        cases.add(Arguments.of(List.of("group", "--config", "=64"), "--config '=64' is not key=value"));
        cases.add(Arguments.of(List.of("group", "--config-path", "cfg"), "invalid --config-path 'cfg'"));
        cases.add(Arguments.of(List.of("group", "--data", "two\nlines"), "--data must be one line"));
        cases.add(Arguments.of(List.of("group", "--timeout", "1s"), "--timeout"));
        cases.add(Arguments.of(List.of("inspect", "relative"), "invalid path 'relative'"));
        cases.add(Arguments.of(List.of("inspect", "/trailing/"), "invalid path '/trailing/'"));
        cases.add(Arguments.of(List.of("inspect", "/a", "/b"), "'/b'"));
        cases.add(Arguments.of(List.of("demo", "--connect-timeout", "-1s"), "'-1s' is negative"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void aBadValueIsAUsageErrorOnOneLineNamingIt(List<String> args, String named) {
        Run run = Run.zkr(args.toArray(String[]::new));

        assertEquals(2, run.exitCode(), run.both());
        assertTrue(run.errorLine().contains(named), "expected '" + named + "' in:\n" + run.both());
        assertEquals("", run.out(), run.both());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lock", "inspect"})
    void verboseAddsTheStackTraceToAFailure(String command) {
        Run run = Run.zkr(command, "--verbose", "--connect", "localhost:abc");

        assertEquals(1, run.exitCode(), run.both());
        assertTrue(run.err().startsWith("zkr: malformed connect string 'localhost:abc'"), run.both());
        assertTrue(run.err().contains("\tat "), run.both());
    }

    /** A loopback port nobody listens on (bound, then released). */
    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
