package io.github.zkrecipes.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The command line itself: help, version, usage errors, bad input. No server needed. */
class ZkrTest {

    @Test
    void helpExitsZeroAndListsTheDemo() {
        Run run = Run.zkr("--help");
        assertEquals(0, run.exitCode(), run.both());
        assertTrue(run.out().contains("Usage: zkr"), run.both());
        assertTrue(run.out().contains("demo"), run.both());
    }

    @Test
    void helpListsEverySubcommandAndTheExitCodes() {
        Run run = Run.zkr("--help");
        for (String command : new String[] {"demo", "election", "lock", "rwlock", "semaphore", "barrier", "group",
            "inspect"}) {
            assertTrue(run.out().lines().anyMatch(l -> l.strip().startsWith(command + " ")), command + "\n" + run.both());
        }
        assertTrue(run.out().contains("Exit codes:"), run.both());
        assertTrue(run.out().contains("3   not granted within --timeout"), run.both());
        assertTrue(run.out().contains("4   a grant, leadership or membership was lost while held"), run.both());
    }

    @Test
    void everySubcommandHasHelpWithItsOptions() {
        for (String command : new String[] {"lock", "rwlock", "semaphore", "election", "barrier"}) {
            Run run = Run.zkr(command, "--help");
            assertEquals(0, run.exitCode(), run.both());
            for (String option : new String[] {"--connect", "--connect-timeout", "--path", "--hold", "--rounds",
                "--duration", "--timeout", "--interactive", "--id", "--verbose"}) {
                assertTrue(run.out().contains(option), command + " " + option + "\n" + run.both());
            }
        }
        Run inspect = Run.zkr("inspect", "--help");
        assertEquals(0, inspect.exitCode(), inspect.both());
        assertTrue(inspect.out().contains("--json") && inspect.out().contains("[<path>]"), inspect.both());
    }

    @Test
    void demoHelpExitsZeroAndDescribesConnectAndVerbose() {
        Run run = Run.zkr("demo", "--help");
        assertEquals(0, run.exitCode(), run.both());
        assertTrue(run.out().contains("--connect=host:port[,...]"), run.both());
        assertTrue(run.out().contains("--verbose"), run.both());
    }

    @Test
    void versionNamesTheProjectAndZooKeeperVersions() {
        Run run = Run.zkr("--version");
        assertEquals(0, run.exitCode(), run.both());
        assertTrue(run.out().startsWith("zkr 0."), run.both());
        assertTrue(run.out().contains("ZooKeeper 3.9"), run.both());
    }

    @Test
    void noSubcommandIsBadUsage() {
        Run run = Run.zkr();
        assertEquals(2, run.exitCode(), run.both());
        assertTrue(run.err().contains("Missing required subcommand"), run.both());
        assertFalse(run.err().strip().contains("\n"), "one line: " + run.both());
    }

    @Test
    void anUnknownOptionIsBadUsage() {
        Run run = Run.zkr("demo", "--bogus");
        assertEquals(2, run.exitCode(), run.both());
        assertTrue(run.err().contains("--bogus"), run.both());
    }

    @Test
    void aMalformedConnectStringFailsWithOneLineNamingItAndNoStackTrace() {
        Run run = Run.zkr("demo", "--connect", "localhost:abc");
        assertEquals(1, run.exitCode(), run.both());
        String err = run.err().strip();
        assertFalse(err.contains("\n"), "one line expected:\n" + run.both());
        assertTrue(err.startsWith("zkr: "), run.both());
        assertTrue(err.contains("'localhost:abc'"), run.both());
        assertFalse(err.contains("Exception"), run.both());
        assertFalse(err.contains("\tat "), run.both());
        assertEquals("", run.out(), "nothing of the story is told: " + run.both());
    }

    @Test
    void verboseAddsTheStackTrace() {
        Run run = Run.zkr("demo", "--verbose", "--connect", "localhost:abc");
        assertEquals(1, run.exitCode(), run.both());
        assertTrue(run.err().startsWith("zkr: malformed connect string 'localhost:abc'"), run.both());
        assertTrue(run.err().contains("java.lang.IllegalArgumentException"), run.both());
        assertTrue(run.err().contains("\tat "), run.both());
    }
}
