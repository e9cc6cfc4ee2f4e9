package dev.jnbdkit.filters.luks;

import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Filter;
import dev.jnbdkit.spi.FilterContext;
import dev.jnbdkit.spi.FilterHandle;
import dev.jnbdkit.spi.NextBackend;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Passwords;
import dev.jnbdkit.spi.PluginException;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;

/**
 * nbdkit-luks-filter: serves the decrypted payload of a LUKSv1-encrypted disk. {@code passphrase=}
 * takes nbdkit's password forms (the secret itself, {@code -} to ask, {@code +FILE}, {@code -FD});
 * each connection reads the header and unlocks a key slot with it (see {@link KeySlots}). Ciphers:
 * AES-128/192/256 in XTS or CBC with plain, plain64 or essiv IVs, on the JDK's AES.
 */
public final class LuksFilter implements Filter {
    private static final int LOCK_STRIPES = 64;

    private volatile KeySlots keySlots;
    /** Read-modify-write of a partial sector holds the sector's stripe, across connections. */
    private final Lock[] sectorLocks = new Lock[LOCK_STRIPES];

    public LuksFilter() {
        for (int i = 0; i < LOCK_STRIPES; i++) sectorLocks[i] = new ReentrantLock();
    }

    @Override public String name() { return "luks"; }

    @Override public String longname() { return "nbdkit luks filter"; }

    @Override public String configHelp() { return "passphrase=<SECRET>      Secret passphrase."; }

    @Override
    public void config(NextBackend next, String key, String value) {
        if (key.equals("passphrase")) {
            byte[] secret = Passwords.read(value);
            keySlots = new KeySlots(secret);
            java.util.Arrays.fill(secret, (byte) 0);
        } else {
            next.config(key, value);
        }
    }

    @Override
    public void configComplete(NextBackend next) {
        if (keySlots == null) throw new PluginException(Errno.EINVAL, "LUKS \"passphrase\" parameter is missing");
        next.configComplete();
    }

    @Override
    public FilterHandle open(FilterContext context, OpenContext request) {
        context.open(request.readonly(), request.exportName());
        return new LuksHandle(this);
    }

    KeySlots keySlots() { return keySlots; }

    Lock sectorLock(long sector) { return sectorLocks[(int) Long.remainderUnsigned(sector, LOCK_STRIPES)]; }
}
