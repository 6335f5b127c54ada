package io.github.zkrecipes.it.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A {@link WorkerMain} JVM seen from the test: its events go into the scenario's {@link History};
 * the test can stop it, close its session, pause it (SIGSTOP, like a long GC pause), resume it, or
 * kill it (SIGKILL, recorded as a crash).
 */
final class WorkerProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final History history;
    private final OutputStream stdin;
    private final Thread reader;

    WorkerProcess(String name, Path dir, Map<String, String> conf, History history) {
        this(name, dir, conf, history, Map.of());
    }

    /** With {@code env} added to the worker JVM's environment (e.g. LD_PRELOAD of libfaketime). */
    WorkerProcess(String name, Path dir, Map<String, String> conf, History history, Map<String, String> env) {
        this.name = name;
        this.history = history;
        List<String> args = new ArrayList<>();
        args.add("name=" + name);
        conf.forEach((k, v) -> args.add(k + "=" + v));
        this.process = ChildJvm.start(WorkerMain.class.getName(),
                List.of("-Xmx64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"),
                args, dir.resolve(name + ".log"), true, env);
        this.stdin = process.getOutputStream();
        this.reader = new Thread(this::read, "worker-" + name + "-stdout");
        reader.setDaemon(true);
        reader.start();
    }

    String name() {
        return name;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    void pause() {
        ChildJvm.signal(process, "STOP");
    }

    void resume() {
        ChildJvm.signal(process, "CONT");
    }

    void kill9() {
        ChildJvm.kill9(process);
        history.crashed(name);
    }

    /** Asks the worker to finish its current operation, close its session and exit. */
    void stop() {
        send("stop");
    }

    /** Closes the worker's session now, whatever it is doing. */
    void closeSession() {
        send("close");
    }

    /** Waits for the worker to exit, and for its last events to be read. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("worker " + name + " did not exit within " + timeout);
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            ChildJvm.kill9(process);
        }
    }

    private void send(String command) {
        try {
            stdin.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new IllegalStateException("worker " + name + " is gone", e);
        }
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith(Event.PREFIX)) {
                    history.add(Event.parse(line));
                }
            }
        } catch (IOException e) {
            // process gone
        }
    }
}
