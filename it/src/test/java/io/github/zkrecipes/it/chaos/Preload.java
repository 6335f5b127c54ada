package io.github.zkrecipes.it.chaos;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Loads every class of the jars our recipes come from, up front. On a shared machine other builds
 * re-install those jars into ~/.m2 while a test runs, and a class first loaded after that fails
 * with NoClassDefFoundError. Child JVMs run from a snapshot instead (see {@link ChildJvm}); this
 * is the same guard for the test JVM.
 */
final class Preload {
    private Preload() {}

    static void jarsOf(Class<?>... classes) {
        for (Class<?> c : classes) {
            try {
                Path jar = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
                if (!jar.toString().endsWith(".jar")) {
                    continue; // a classes directory: nothing to guard
                }
                try (JarFile f = new JarFile(jar.toFile())) {
                    for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
                        String name = e.nextElement().getName();
                        if (name.endsWith(".class") && !name.contains("module-info") && !name.contains("package-info")) {
                            Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false,
                                    c.getClassLoader());
                        }
                    }
                }
            } catch (IOException | ReflectiveOperationException | java.net.URISyntaxException | LinkageError e) {
                System.err.println("preloading the jar of " + c.getName() + ": " + e);
            }
        }
    }
}
