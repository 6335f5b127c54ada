package io.github.zkrecipes;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.apache.curator.framework.api.ACLProvider;
import org.apache.zookeeper.ZooDefs.Perms;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;

/**
 * The ACLs of zk-recipes' secure mode ({@link ZkSession.Builder#secure()}): every node a recipe
 * creates (its queue, member, candidate and lease nodes, the directories they live in, and the
 * namespace node) is created with
 * <ul>
 *   <li>{@code ALL} for the creating identity: ZooKeeper's {@code auth} scheme, which the server
 *       replaces by every non-ip identity the session authenticated with (digest, SASL Kerberos
 *       principal, x509 certificate subject). Sessions with the same credentials are the same
 *       tenant: they share the lock, election or group;
 *   <li>{@code READ} for each {@linkplain #readableBy reader} (default: none besides the
 *       creator): readers can list holders, watch the leader and read member data, and cannot
 *       join, delete or change anything;
 *   <li>{@code READ | WRITE | CREATE | DELETE} for each {@linkplain #sharedWith co-user}: a second
 *       identity that takes part in the same recipes (holds the same lock, stands in the same
 *       election). It has to be trusted like the creator: ZooKeeper checks a delete against the
 *       <em>parent's</em> ACL, so whoever may delete its own node in a directory may delete every
 *       node in it.
 * </ul>
 *
 * <pre>{@code
 * ZkSession session = ZkSession.builder("zk1:2281")
 *         .digest("billing", password)
 *         .secure(SecureAcls.creatorOnly().readableBy(SecureAcls.digest("ops", opsPassword)))
 *         .connect();
 * }</pre>
 *
 * <p>What the ACL decides and what it cannot is told in {@code docs/SECURITY.md}: in short, no
 * other identity can delete or change a node, create one in a recipe directory (pose as a holder,
 * leader or member) or read node data; an identity that holds the credentials, an ensemble
 * administrator with the super digest, and anyone with access to the servers' disks still can.
 *
 * <p>The directory a recipe uses keeps the ACL of whoever created it first (ZooKeeper does not
 * change the ACL of an existing node): a directory made before secure mode was on, or by another
 * tenant, keeps its ACL, and {@code zkr inspect} shows it. Immutable and thread-safe.
 */
public final class SecureAcls implements ACLProvider {
    private static final Id CREATOR = new Id("auth", "");
    private static final int SHARED_PERMS = Perms.READ | Perms.WRITE | Perms.CREATE | Perms.DELETE;

    private final List<Id> readers;
    private final List<Id> coUsers;
    private final List<ACL> acl;

    private SecureAcls(List<Id> readers, List<Id> coUsers) {
        this.readers = List.copyOf(readers);
        this.coUsers = List.copyOf(coUsers);
        List<ACL> a = new ArrayList<>();
        a.add(new ACL(Perms.ALL, CREATOR));
        for (Id id : this.coUsers) {
            a.add(new ACL(SHARED_PERMS, id));
        }
        for (Id id : this.readers) {
            if (!this.coUsers.contains(id)) {
                a.add(new ACL(Perms.READ, id));
            }
        }
        // Not List.copyOf: ZooKeeper validates an ACL with contains(null), which immutable lists reject.
        this.acl = java.util.Collections.unmodifiableList(a);
    }

    /** Everything for the creating identity, nothing for anyone else. */
    public static SecureAcls creatorOnly() {
        return new SecureAcls(List.of(), List.of());
    }

    /**
     * A copy that also lets {@code ids} read: list the queue, watch it, read node data.
     *
     * @throws IllegalArgumentException naming the id if it is {@code world:anyone} or {@code auth}
     */
    public SecureAcls readableBy(Id... ids) {
        return new SecureAcls(concat(readers, ids), coUsers);
    }

    /**
     * A copy that lets {@code ids} take part too (see the class comment: a co-user can delete any
     * node in the directories it shares).
     *
     * @throws IllegalArgumentException naming the id if it is {@code world:anyone} or {@code auth}
     */
    public SecureAcls sharedWith(Id... ids) {
        return new SecureAcls(readers, concat(coUsers, ids));
    }

    /** The identities given READ. */
    public List<Id> readers() {
        return readers;
    }

    /** The identities that may take part (co-users). */
    public List<Id> coUsers() {
        return coUsers;
    }

    /** The ACL every recipe node and directory is created with. */
    public List<ACL> acl() {
        return acl;
    }

    @Override
    public List<ACL> getDefaultAcl() {
        return acl;
    }

    @Override
    public List<ACL> getAclForPath(String path) {
        return acl;
    }

    /**
     * The ACL id of a digest identity, {@code digest:user:base64(sha1(user:password))}, as ZooKeeper's
     * digest provider computes it when a session authenticates with {@code digest(user, password)}.
     *
     * @throws IllegalArgumentException naming the user if it is empty or contains ':'
     */
    public static Id digest(String user, String password) {
        if (user == null || user.isEmpty() || user.indexOf(':') >= 0) {
            throw new IllegalArgumentException("digest user '" + user + "' must be non-empty and contain no ':'");
        }
        Objects.requireNonNull(password, "password");
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA1")
                    .digest((user + ":" + password).getBytes(StandardCharsets.UTF_8));
            return new Id("digest", user + ":" + Base64.getEncoder().encodeToString(sha1));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA1 in this JVM", e);
        }
    }

    /** The ACL id of a TLS client certificate's subject, as ZooKeeper's x509 provider names it. */
    public static Id x509(String subjectDn) {
        return new Id("x509", requireText("x509 subject", subjectDn));
    }

    /** The ACL id of a SASL (Kerberos) principal, as ZooKeeper's SASL provider names it. */
    public static Id sasl(String principal) {
        return new Id("sasl", requireText("SASL principal", principal));
    }

    private static String requireText(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " '" + value + "' must be non-blank");
        }
        return value;
    }

    private static List<Id> concat(List<Id> base, Id... more) {
        Set<Id> out = new LinkedHashSet<>(base);
        for (Id id : Objects.requireNonNull(more, "ids")) {
            Objects.requireNonNull(id, "id");
            if ("world".equals(id.getScheme()) || "auth".equals(id.getScheme())) {
                throw new IllegalArgumentException("ACL id '" + id.getScheme() + ":" + id.getId()
                        + "' names no single identity: secure mode takes digest, sasl, x509, ip or another provider's ids");
            }
            if (id.getScheme() == null || id.getScheme().isBlank() || id.getId() == null || id.getId().isBlank()) {
                throw new IllegalArgumentException("ACL id '" + id.getScheme() + ":" + id.getId() + "' is incomplete");
            }
            out.add(id);
        }
        return new ArrayList<>(out);
    }

    @Override
    public String toString() {
        return "SecureAcls" + acl;
    }
}
