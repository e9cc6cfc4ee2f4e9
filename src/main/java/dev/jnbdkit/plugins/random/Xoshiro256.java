package dev.jnbdkit.plugins.random;

/**
 * xoshiro256** (Blackman and Vigna, https://prng.di.unimi.it/), seeded as its authors
 * recommend: the four words of state are the first four outputs of splitmix64 started at the
 * seed. This is the generator nbdkit's random plugins use, so the same seed gives the same bytes.
 * Not cryptographically secure (nor meant to be). Not thread-safe: one instance per use.
 */
public final class Xoshiro256 {
    private long s0, s1, s2, s3;

    public Xoshiro256(long seed) {
        long x = seed;
        x += 0x9e3779b97f4a7c15L; s0 = mix(x);
        x += 0x9e3779b97f4a7c15L; s1 = mix(x);
        x += 0x9e3779b97f4a7c15L; s2 = mix(x);
        x += 0x9e3779b97f4a7c15L; s3 = mix(x);
    }

    /** splitmix64's output function. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The next 64 random bits. */
    public long next() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /**
     * The random plugin's byte at {@code offset}: the low 8 bits of the third output of a
     * generator seeded with {@code seed + offset}, so that any byte is computed on its own
     * without running the generator from the start of the disk (nbdkit's scheme, so the bytes
     * match nbdkit's for the same seed).
     */
    public static byte byteAt(long seed, long offset) {
        Xoshiro256 g = new Xoshiro256(seed + offset);
        g.next();
        g.next();
        return (byte) g.next();
    }
}
