package io.github.zkrecipes.testing;

import io.github.zkrecipes.SecureAcls;
import io.github.zkrecipes.ZkSession;
import java.nio.charset.StandardCharsets;

/**
 * Two tenants of one ensemble in secure mode, for the isolation tests of every recipe: tenant A
 * (whose nodes the digest identity {@code ops} may read), tenant B, and the test's admin client
 * logged in as tenant A so that it can look at and clean up A's nodes.
 */
public final class Tenants {
    private Tenants() {}

    /** Logs the test's admin client in as tenant A. */
    public static void adminIsTenantA(ZkTestContext zk) {
        zk.admin().addAuthInfo("digest", "tenant-a:pw-a".getBytes(StandardCharsets.UTF_8));
    }

    /** A session of tenant A in secure mode, its nodes readable by {@code ops}. */
    public static ZkSession tenantA(ZkTestContext zk) {
        return zk.session(b -> b.digest("tenant-a", "pw-a")
                .secure(SecureAcls.creatorOnly().readableBy(SecureAcls.digest("ops", "pw-ops"))));
    }

    /** A session of tenant B in secure mode. */
    public static ZkSession tenantB(ZkTestContext zk) {
        return zk.session(b -> b.digest("tenant-b", "pw-b").secure());
    }
}
