package io.github.zkrecipes.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against one embedded ZooKeeper server (or ensemble) started for the class;
 * each test gets a {@link ZkTestContext} parameter with its own namespace, and after each test
 * the namespace must be empty (only empty container directories may remain, which the server
 * reaps itself), the server must hold no watches, and no session thread may be left.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
@ExtendWith(ZkExtension.class)
public @interface ZkTest {
    /** Servers in the ensemble (default 1). */
    int servers() default 1;

    /** Tick time in ms (default 200: the server grants sessions of 0.4 to 4 s). */
    int tickTimeMs() default 200;

    /**
     * Starts the server with {@link ReplyDroppingServerCnxnFactory}, so that tests can make a
     * create's reply get lost after the create was applied.
     */
    boolean dropCreateReplies() default false;
}
