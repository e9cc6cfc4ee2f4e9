package dev.jnbdkit.cli;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class CommandLinePropertiesTest {

    /**
     * Options that can be combined freely, each in several spellings that must mean the same thing.
     * One spelling of each chosen option is used per try.
     */
    static final List<List<List<String>>> POOL = List.of(
            List.of(List.of("-f"), List.of("--foreground"), List.of("--no-fork"), List.of("--fore")),
            List.of(List.of("-v"), List.of("--verbose")),
            List.of(List.of("-r"), List.of("--readonly"), List.of("--read-only")),
            List.of(List.of("-p", "10810"), List.of("-p10810"), List.of("--port=10810"), List.of("--port", "10810")),
            List.of(List.of("-e", "exp"), List.of("--export=exp"), List.of("--exportname", "exp"),
                    List.of("--export-name=exp"), List.of("-eexp")),
            List.of(List.of("-t", "4"), List.of("--threads=4"), List.of("-t", "0x4"), List.of("-t04")),
            List.of(List.of("--log=stderr"), List.of("--log", "stderr")),
            List.of(List.of("--no-sr")),
            List.of(List.of("--swap")),
            List.of(List.of("-6"), List.of("--ipv6-only")),
            List.of(List.of("-i", "::1"), List.of("--ipaddr=::1"), List.of("--ip-addr", "::1")),
            List.of(List.of("--python=py3"), List.of("--python", "py3"), List.of("--py", "py3")),
            List.of(List.of("-D", "a.b=1"), List.of("--debug=a.b=1"), List.of("-Da.b=1")),
            List.of(List.of("--run", "nbdinfo $uri"), List.of("--run=nbdinfo $uri")),
            List.of(List.of("--exit-with-parent"), List.of("--exit")),
            List.of(List.of("-o"), List.of("--oldstyle"), List.of("--old-style")),
            List.of(List.of("--mask-handshake=1"), List.of("--mask", "0x1")),
            List.of(List.of("-u", "nobody"), List.of("--user=nobody")),
            List.of(List.of("-g", "disk"), List.of("--group", "disk")),
            List.of(List.of("-P", "/run/p"), List.of("--pidfile=/run/p"), List.of("--pid-file", "/run/p")),
            List.of(List.of("--tls=off"), List.of("--tls", "no")),
            List.of(List.of("--dump-plugin")));

    record Case(List<Integer> chosen, List<Integer> spelling, List<String> pluginArgs, long seed) {}

    @Provide
    Arbitrary<Case> cases() {
        Arbitrary<List<Integer>> chosen = Arbitraries.integers().between(0, POOL.size() - 1).list().uniqueElements()
                .ofMaxSize(POOL.size());
        Arbitrary<List<Integer>> spelling = Arbitraries.integers().between(0, 99).list().ofSize(POOL.size());
        Arbitrary<String> word = Arbitraries.strings().withChars("abcxyz019=./_ -").ofMinLength(1).ofMaxLength(8)
                .filter(s -> !s.startsWith("-"));
        Arbitrary<List<String>> pluginArgs = word.list().ofMaxSize(5);
        return Combinators.combine(chosen, spelling, pluginArgs, Arbitraries.longs())
                .as(Case::new);
    }

    /** Options first, then the plugin and its arguments: the plainest spelling. */
    static List<String> canonical(Case c) {
        List<String> out = new ArrayList<>();
        for (int i : c.chosen()) out.addAll(POOL.get(i).getFirst());
        out.add("memory");
        out.addAll(c.pluginArgs());
        return out;
    }

    /**
     * The same request with other spellings, the options in another order and interleaved at random
     * with the plugin name and arguments (which keep their own order).
     */
    static List<String> shuffled(Case c) {
        Random r = new Random(c.seed());
        List<List<String>> opts = new ArrayList<>();
        for (int i : c.chosen()) {
            List<List<String>> spellings = POOL.get(i);
            opts.add(spellings.get(c.spelling().get(i) % spellings.size()));
        }
        java.util.Collections.shuffle(opts, r);
        List<String> nonOpts = new ArrayList<>();
        nonOpts.add("memory");
        nonOpts.addAll(c.pluginArgs());
        List<String> out = new ArrayList<>();
        int o = 0, n = 0;
        while (o < opts.size() || n < nonOpts.size()) {
            boolean takeOpt = n == nonOpts.size() || (o < opts.size() && r.nextBoolean());
            if (takeOpt) out.addAll(opts.get(o++));
            else out.add(nonOpts.get(n++));
        }
        return out;
    }

    @Property(tries = 500)
    void anyPermutationMeansTheSame(@ForAll("cases") Case c) throws Exception {
        Options expected = CommandLine.parse(canonical(c).toArray(String[]::new), false, false);
        Options actual = CommandLine.parse(shuffled(c).toArray(String[]::new), false, false);
        assertEquals(expected, actual, () -> canonical(c) + " vs " + shuffled(c));
        assertEquals("memory", actual.plugin());
        assertEquals(c.pluginArgs(), actual.pluginArgs());
    }

    @Property(tries = 300)
    void bundlingFlagsMeansTheSame(@ForAll("flagBundles") String flags) throws Exception {
        List<String> separate = new ArrayList<>();
        for (char ch : flags.toCharArray()) separate.add("-" + ch);
        separate.add("memory");
        Options a = CommandLine.parse(separate.toArray(String[]::new), false, false);
        Options b = CommandLine.parse(new String[] {"-" + flags, "memory"}, false, false);
        assertEquals(a, b);
    }

    @Provide
    Arbitrary<String> flagBundles() {
        return Arbitraries.strings().withChars("46fnorvV").ofMinLength(1).ofMaxLength(8);
    }

    @Property(tries = 300)
    void numbersParseLikeStrtoul(@ForAll("nonNegative") long v, @ForAll("radix") int radix) throws Exception {
        String text = switch (radix) {
            case 16 -> "0x" + Long.toHexString(v);
            case 8 -> "0" + Long.toOctalString(v);
            default -> Long.toString(v);
        };
        assertEquals(v, Numbers.parseUnsigned("n", text));
    }

    @Provide
    Arbitrary<Long> nonNegative() { return Arbitraries.longs().between(0, 0xFFFF_FFFFL); }

    @Provide
    Arbitrary<Integer> radix() { return Arbitraries.of(8, 10, 16); }
}
