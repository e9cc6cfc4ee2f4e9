package dev.jnbdkit.server;

import dev.jnbdkit.protocol.Nbd;
import dev.jnbdkit.spi.Errno;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ErrnoMappingTest {
    private static int map(int errno) { return ErrnoMapping.toNbd(errno, false, false); }

    @Test
    void fixedMappings() {
        assertEquals(Nbd.EPERM, map(Errno.EPERM));
        assertEquals(Nbd.EPERM, map(Errno.EROFS));
        assertEquals(Nbd.EIO, map(Errno.EIO));
        assertEquals(Nbd.ENOMEM, map(Errno.ENOMEM));
        assertEquals(Nbd.ENOSPC, map(Errno.ENOSPC));
        assertEquals(Nbd.ENOSPC, map(Errno.EDQUOT));
        assertEquals(Nbd.ENOSPC, map(Errno.EFBIG));
        assertEquals(Nbd.ESHUTDOWN, map(Errno.ESHUTDOWN));
        assertEquals(Nbd.EINVAL, map(Errno.EINVAL));
    }

    @Test
    void enotsupOnlyForFastZero() {
        assertEquals(Nbd.EINVAL, ErrnoMapping.toNbd(Errno.ENOTSUP, false, false));
        assertEquals(Nbd.EINVAL, ErrnoMapping.toNbd(Errno.EOPNOTSUPP, false, true));
        assertEquals(Nbd.ENOTSUP, ErrnoMapping.toNbd(Errno.ENOTSUP, true, false));
        assertEquals(Nbd.ENOTSUP, ErrnoMapping.toNbd(Errno.EOPNOTSUPP, true, false));
    }

    @Test
    void eoverflowOnlyForDf() {
        assertEquals(Nbd.EINVAL, ErrnoMapping.toNbd(Errno.EOVERFLOW, false, false));
        assertEquals(Nbd.EINVAL, ErrnoMapping.toNbd(Errno.EOVERFLOW, true, false));
        assertEquals(Nbd.EOVERFLOW, ErrnoMapping.toNbd(Errno.EOVERFLOW, false, true));
    }

    private static final Set<Integer> SPECIAL = Set.of(Errno.EPERM, Errno.EROFS, Errno.EIO, Errno.ENOMEM,
            Errno.ENOSPC, Errno.EDQUOT, Errno.EFBIG, Errno.ESHUTDOWN, Errno.ENOTSUP, Errno.EOVERFLOW);

    @Property
    void everythingElseIsEinval(@ForAll int errno, @ForAll boolean fastZero, @ForAll boolean df) {
        if (SPECIAL.contains(errno)) return;
        assertEquals(Nbd.EINVAL, ErrnoMapping.toNbd(errno, fastZero, df));
    }

    @Test
    void commonOthersAreEinval() {
        for (int e : new int[] {0, Errno.ENOENT, Errno.EBADF, Errno.EFAULT, Errno.ERANGE, -1, 4096}) {
            assertEquals(Nbd.EINVAL, map(e), "errno " + e);
        }
    }
}
