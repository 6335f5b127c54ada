package io.github.zkrecipes.testing;

import io.github.zkrecipes.ZkSession;
import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZKUtil;
import org.apache.zookeeper.ZooKeeper;
import org.apache.zookeeper.client.FourLetterWordMain;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * The JUnit 5 extension behind {@link ZkTest}: one embedded server per class, one namespace per
 * test, and after each test the checks every recipe must pass:
 * <ol>
 *   <li>with the test's sessions still open, the server holds no watch (a waiter that gave up
 *       removed its watch);
 *   <li>after closing them, no session thread is left;
 *   <li>nothing is left in the namespace but empty container directories (no ephemeral node, no
 *       persistent node).
 * </ol>
 */
public final class ZkExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ZkExtension.class);
    private static final AtomicInteger TESTS = new AtomicInteger();
    private static final Pattern TOTAL_WATCHES = Pattern.compile("Total watches:\\s*(\\d+)");

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        System.setProperty("zookeeper.4lw.commands.whitelist", "*");
        // Reap empty containers every 100 ms instead of every minute, so that "nothing left" can be
        // checked as "the namespace disappeared": a persistent or ephemeral leftover never does.
        System.setProperty("znode.container.checkIntervalMs", "100");
        ZkTest config = context.getRequiredTestClass().getAnnotation(ZkTest.class);
        int servers = config != null ? config.servers() : 1;
        int tick = config != null ? config.tickTimeMs() : 200;
        boolean dropping = config != null && config.dropCreateReplies();
        if (dropping) {
            ReplyDroppingServerCnxnFactory.install();
        }
        context.getStore(NS).put("dropping", dropping);
        EmbeddedZooKeeper server = EmbeddedZooKeeper.builder().servers(servers).tickTime(Duration.ofMillis(tick)).start();
        context.getStore(NS).put("server", server);
        context.getStore(NS).put("admin", connectAdmin(server.connectString()));
    }

    private static final String ADMIN_THREAD = "zkr-test-admin";

    /** A raw client whose threads are named after {@link #ADMIN_THREAD}, so leak checks skip them. */
    static ZooKeeper connectAdmin(String connectString) throws Exception {
        ZooKeeper[] box = new ZooKeeper[1];
        Exception[] failure = new Exception[1];
        Thread t = new Thread(() -> {
            try {
                box[0] = new ZooKeeper(connectString, 30_000, e -> { });
            } catch (Exception e) {
                failure[0] = e;
            }
        }, ADMIN_THREAD);
        t.start();
        t.join();
        if (failure[0] != null) {
            throw failure[0];
        }
        ZooKeeper admin = box[0];
        Await.until("admin client to connect", () -> admin.getState().isConnected());
        return admin;
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        ZooKeeper admin = context.getStore(NS).remove("admin", ZooKeeper.class);
        EmbeddedZooKeeper server = context.getStore(NS).remove("server", EmbeddedZooKeeper.class);
        try {
            if (admin != null) {
                admin.close();
            }
        } finally {
            try {
                if (server != null) {
                    server.close();
                }
            } finally {
                if (Boolean.TRUE.equals(context.getStore(NS).remove("dropping", Boolean.class))) {
                    ReplyDroppingServerCnxnFactory.uninstall();
                }
            }
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        EmbeddedZooKeeper server = classStore(context).get("server", EmbeddedZooKeeper.class);
        ZooKeeper admin = classStore(context).get("admin", ZooKeeper.class);
        String method = context.getRequiredTestMethod().getName().replaceAll("[^A-Za-z0-9]", "");
        String namespace = "t" + TESTS.incrementAndGet() + "-" + method;
        ZkTest config = context.getRequiredTestClass().getAnnotation(ZkTest.class);
        int tick = config != null ? config.tickTimeMs() : 200;
        context.getStore(NS).put("ctx", new ZkTestContext(server, admin, namespace, tick));
    }

    private static ExtensionContext.Store classStore(ExtensionContext context) {
        ExtensionContext c = context;
        while (c.getParent().isPresent() && c.getTestMethod().isPresent()) {
            c = c.getParent().get();
        }
        return c.getStore(NS);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        ZkTestContext ctx = context.getStore(NS).remove("ctx", ZkTestContext.class);
        if (ctx == null) {
            return;
        }
        boolean failed = context.getExecutionException().isPresent();
        List<String> problems = new ArrayList<>();
        try {
            if (!failed) {
                try {
                    Await.until("the server to hold no watches", () -> watchCount(ctx.server()) == 0,
                            Duration.ofSeconds(10));
                } catch (AssertionError e) {
                    problems.add("watches left on the server: " + watchCount(ctx.server()));
                }
            }
            for (ZkSession s : ctx.sessions()) {
                s.close();
            }
            if (!failed) {
                try {
                    Await.until("session threads to stop", () -> sessionThreads().isEmpty(), Duration.ofSeconds(10));
                } catch (AssertionError e) {
                    problems.add("threads left: " + sessionThreads());
                }
                try {
                    Await.until("the namespace's containers to be reaped",
                            () -> !exists(ctx.admin(), "/" + ctx.namespace()), Duration.ofSeconds(10));
                } catch (AssertionError e) {
                    List<String> left = new ArrayList<>();
                    collectLeftovers(ctx.admin(), "/" + ctx.namespace(), left);
                    problems.add("nodes left in the namespace: " + left);
                }
            }
        } finally {
            try {
                ZKUtil.deleteRecursive(ctx.admin(), "/" + ctx.namespace());
            } catch (KeeperException.NoNodeException ignored) {
                // nothing was created
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("test left state behind: " + String.join("; ", problems));
        }
    }

    private static boolean exists(ZooKeeper admin, String path) {
        try {
            return admin.exists(path, false) != null;
        } catch (Exception e) {
            return true;
        }
    }

    private static void collectLeftovers(ZooKeeper admin, String path, List<String> left) throws Exception {
        Stat stat = admin.exists(path, false);
        if (stat == null) {
            return;
        }
        List<String> children;
        try {
            children = admin.getChildren(path, false);
        } catch (KeeperException.NoNodeException e) {
            return;
        }
        if (children.isEmpty() || stat.getEphemeralOwner() != 0) {
            left.add(path + (stat.getEphemeralOwner() != 0
                    ? " (ephemeral of 0x" + Long.toHexString(stat.getEphemeralOwner()) + ")" : " (persistent leaf)"));
        }
        for (String c : children) {
            collectLeftovers(admin, path + "/" + c, left);
        }
    }

    static List<String> sessionThreads() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            // our sessions' Curator threads, and ZooKeeper client threads other than the admin's
            if (t.isAlive() && (t.getName().startsWith("zkr-session-")
                    || (t.getName().contains("-SendThread(") && !t.getName().startsWith(ADMIN_THREAD)))) {
                names.add(t.getName());
            }
        }
        return names;
    }

    static int watchCount(EmbeddedZooKeeper server) {
        int total = 0;
        for (int i = 0; i < server.size(); i++) {
            try {
                String out = FourLetterWordMain.send4LetterWord("127.0.0.1", server.port(i), "wchs");
                Matcher m = TOTAL_WATCHES.matcher(out);
                if (m.find()) {
                    total += Integer.parseInt(m.group(1));
                }
            } catch (Exception e) {
                // a stopped server holds no watches
            }
        }
        return total;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == ZkTestContext.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return extensionContext.getStore(NS).get("ctx", ZkTestContext.class);
    }
}
