package dev.jnbdkit.spi;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.constantpool.PoolEntry;
import java.lang.classfile.constantpool.Utf8Entry;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jnbdkit-spi artifact has no dependencies: no class of {@code dev.jnbdkit.spi} refers to a
 * class outside {@code java.*} and itself. Read from the compiled classes' constant pools: the
 * classes they name, and every descriptor or string that names a {@code dev.jnbdkit} type (a
 * method's parameter type appears only in a descriptor; a class loaded by name, only in a string).
 */
class SpiIsolationTest {
    @Test
    void spiClassesReferToNothingButJavaAndThemselves() throws IOException, URISyntaxException {
        Path classes = Path.of(Nbdkit.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path spi = classes.resolve("dev/jnbdkit/spi");
        // "class -> what it names" (a class entry's name is also one of the pool's strings: once)
        Set<String> problems = new TreeSet<>();
        int read = 0;
        try (Stream<Path> files = Files.walk(spi)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".class"))::iterator) {
                ClassModel model = ClassFile.of().parse(f);
                read++;
                for (PoolEntry e : model.constantPool()) {
                    switch (e) {
                        case ClassEntry c when !allowedClass(c.asInternalName()) ->
                                problems.add(model.thisClass().asInternalName() + " -> " + c.asInternalName());
                        case Utf8Entry u when namesOtherJnbdkitCode(u.stringValue()) ->
                                problems.add(model.thisClass().asInternalName() + " -> " + u.stringValue());
                        default -> { }
                    }
                }
            }
        }
        assertTrue(read >= 25, "compiled SPI classes found under " + spi + ": " + read);
        assertEquals(Set.of(), problems, "references from dev.jnbdkit.spi to classes outside java.* and itself");
    }

    /** A class entry names a class or an array type ({@code [Ldev/jnbdkit/spi/Extent;}). */
    private static boolean allowedClass(String internalName) {
        String n = internalName.replaceFirst("^\\[+L?", "").replaceFirst(";$", "");
        if (internalName.startsWith("[") && n.length() == 1) return true;   // an array of a primitive type
        return n.startsWith("java/") || n.startsWith("dev/jnbdkit/spi/");
    }

    private static boolean namesOtherJnbdkitCode(String s) {
        for (String prefix : List.of("dev/jnbdkit/", "dev.jnbdkit.")) {
            for (int i = s.indexOf(prefix); i >= 0; i = s.indexOf(prefix, i + 1)) {
                if (!s.startsWith("spi", i + prefix.length())
                        || s.length() > i + prefix.length() + 3 && Character.isJavaIdentifierPart(s.charAt(i + prefix.length() + 3))) {
                    return true;
                }
            }
        }
        return false;
    }
}
