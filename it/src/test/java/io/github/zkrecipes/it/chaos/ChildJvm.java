package io.github.zkrecipes.it.chaos;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Starts child JVMs (servers, workers) with the classpath Maven wrote at build time
 * ({@code maven-dependency-plugin:build-classpath}) plus the test classes. Every child is killed by
 * a shutdown hook of the test JVM, and halts by itself through its {@link Watchdog} if the test
 * JVM dies without running hooks.
 */
final class ChildJvm {
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    private static final String CLASSPATH = readClasspath();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Process::destroyForcibly),
                "chaos-child-reaper"));
    }

    private ChildJvm() {}

    /** The directory for this run's data and logs: target/chaos/&lt;runId&gt;. */
    static Path workDir(String runId) {
        Path dir = Path.of(System.getProperty("chaos.workDir", "target/chaos")).resolve(runId);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return dir;
    }

    /**
     * Starts {@code mainClass} with {@code jvmArgs} and {@code args}; standard error (and standard
     * output, unless {@code pipeStdout}) goes to {@code log}. Standard input stays a pipe: closing
     * it, or the death of this JVM, ends the child.
     */
    static Process start(String mainClass, List<String> jvmArgs, List<String> args, Path log, boolean pipeStdout) {
        return start(mainClass, jvmArgs, args, log, pipeStdout, java.util.Map.of());
    }

    /** As {@link #start(String, List, List, Path, boolean)}, with {@code env} added to the child's environment. */
    static Process start(String mainClass, List<String> jvmArgs, List<String> args, Path log, boolean pipeStdout,
            java.util.Map<String, String> env) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmArgs);
        command.add("-D" + Watchdog.MAX_LIFETIME_PROPERTY + "=600");
        command.add("-Djava.io.tmpdir=" + log.getParent().toAbsolutePath());
        command.add("-cp");
        command.add(CLASSPATH);
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
        if (!pipeStdout) {
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        }
        try {
            Process p = pb.start();
            LIVE.add(p);
            p.onExit().thenRun(() -> LIVE.remove(p));
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + mainClass, e);
        }
    }

    /** SIGKILL, and wait until the process is gone. */
    static void kill9(Process p) {
        p.destroyForcibly();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("process " + p.pid() + " survived SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Sends a signal with the {@code kill} command (SIGSTOP and SIGCONT have no Java API). */
    static void signal(Process p, String signal) {
        try {
            Process k = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid()))
                    .redirectErrorStream(true).start();
            if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted sending " + signal, e);
        }
    }

    private static String readClasspath() {
        String file = System.getProperty("chaos.classpathFile");
        String testClasses = System.getProperty("chaos.testClasses");
        if (file == null || testClasses == null) {
            throw new IllegalStateException("chaos.classpathFile and chaos.testClasses must be set (it/pom.xml "
                    + "sets them for Failsafe)");
        }
        try {
            // Our own modules' jars are re-installed into ~/.m2 by concurrent builds; children
            // started later would read a half-written jar. Snapshot them once per test JVM.
            // The same for the test classes, which a concurrent build of this module recompiles.
            Path lib = workDir("lib-" + ProcessHandle.current().pid());
            Path classes = lib.resolve("test-classes");
            try (java.util.stream.Stream<Path> files = Files.walk(Path.of(testClasses))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path to = classes.resolve(Path.of(testClasses).relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            StringBuilder cp = new StringBuilder(classes.toString());
            for (String entry : Files.readString(Path.of(file)).trim().split(File.pathSeparator)) {
                Path jar = Path.of(entry);
                if (jar.getFileName().toString().startsWith("zk-recipes-") && Files.isRegularFile(jar)) {
                    Path copy = lib.resolve(jar.getFileName());
                    Files.copy(jar, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    jar = copy;
                }
                cp.append(File.pathSeparator).append(jar);
            }
            return cp.toString();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the child classpath written by the build: " + file, e);
        }
    }
}
