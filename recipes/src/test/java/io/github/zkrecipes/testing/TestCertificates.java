package io.github.zkrecipes.testing;

import io.github.zkrecipes.embedded.EmbeddedZooKeeper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Key material made at test time with the JDK's {@code keytool}: no private key is checked in.
 * One self-signed EC certificate per name (valid two days, for {@code localhost} and {@code
 * 127.0.0.1}), each in its own PKCS12 key store, and one trust store holding the certificates of
 * every name given to {@link #create}. Files live in a fresh directory under {@code java.io.tmpdir}.
 */
public final class TestCertificates {
    public static final String PASSWORD = "test-only-password";

    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Makes a key store per name and one trust store trusting all of them (a few seconds of keytool). */
    public static TestCertificates create(String... names) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("zkr-certs-");
        TestCertificates c = new TestCertificates(dir);
        for (String name : names) {
            c.keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1",
                    "-dname", "CN=" + name, "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2",
                    "-keystore", c.keyStore(name).toString(), "-storetype", "PKCS12",
                    "-storepass", PASSWORD, "-keypass", PASSWORD);
            Path cert = dir.resolve(name + ".pem");
            c.keytool("-exportcert", "-rfc", "-alias", name, "-keystore", c.keyStore(name).toString(),
                    "-storepass", PASSWORD, "-file", cert.toString());
            c.keytool("-importcert", "-noprompt", "-alias", name, "-file", cert.toString(),
                    "-keystore", c.trustStore().toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        }
        return c;
    }

    /** A key store of one name alone, untrusted by anyone (made on demand). */
    public Path untrustedKeyStore(String name) throws IOException, InterruptedException {
        Path ks = dir.resolve("untrusted-" + name + ".p12");
        keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name,
                "-ext", "SAN=dns:localhost,ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        return ks;
    }

    public Path keyStore(String name) {
        return dir.resolve(name + ".p12");
    }

    public Path trustStore() {
        return dir.resolve("trust.p12");
    }

    /** The server side: {@code name}'s key, trusting every name's certificate. */
    public EmbeddedZooKeeper.Tls serverTls(String name) {
        return new EmbeddedZooKeeper.Tls(keyStore(name), PASSWORD, trustStore(), PASSWORD);
    }

    /** Deletes the files. */
    public void delete() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    private void keytool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("keytool " + String.join(" ", args) + " failed: " + new String(out, StandardCharsets.UTF_8));
        }
    }
}
