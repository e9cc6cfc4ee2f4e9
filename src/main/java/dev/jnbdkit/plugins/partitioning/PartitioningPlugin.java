package dev.jnbdkit.plugins.partitioning;

import dev.jnbdkit.plugins.PluginVersion;
import dev.jnbdkit.posix.FileCalls;
import dev.jnbdkit.spi.CacheMode;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Handle;
import dev.jnbdkit.spi.IoBuffer;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.Numbers;
import dev.jnbdkit.spi.OpenContext;
import dev.jnbdkit.spi.Plugin;
import dev.jnbdkit.spi.PluginException;
import dev.jnbdkit.spi.Sizes;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code partitioning}: a partitioned disk made of files, one partition each, as
 * nbdkit-partitioning-plugin(1): {@code [file=]FILE} repeated, {@code partition-type=mbr|gpt}
 * (default: MBR unless more than four files or more than MBR can address), and, applying to the
 * files after them, {@code alignment=} (default 1M), {@code mbr-id=} and {@code type-guid=}.
 * Writes reach the files; writes that would change the partition table or put non-zero bytes
 * into padding fail with EIO. All connections share the descriptors opened at configuration.
 */
public final class PartitioningPlugin implements Plugin {
    static final int DEFAULT_MBR_ID = 0x83;
    /** MBR addresses 2³² sectors; leave room for the padding between partitions. */
    static final long MAX_MBR_DISK_SIZE = 0xFFFF_FFFFL * DiskLayout.SECTOR - 5 * DiskLayout.MAX_ALIGNMENT;

    private final SecureRandom random = new SecureRandom();
    private final List<PartitionFile> files = new ArrayList<>();
    private long alignment = DiskLayout.MAX_ALIGNMENT;
    private int mbrId = DEFAULT_MBR_ID;
    private byte[] typeGuid = Guid.parse(Guid.DEFAULT_TYPE);
    private DiskLayout.Type type;
    private DiskLayout layout;
    private boolean debugRegions;

    public PartitioningPlugin() {}

    @Override public String name() { return "partitioning"; }

    @Override public String version() { return PluginVersion.VERSION; }

    @Override public String longname() { return "nbdkit partitioning plugin"; }

    @Override public String description() { return "Creates a partitioned virtual disk from files, one partition each."; }

    @Override
    public String configHelp() {
        return "[file=]<FILE>           (required, repeatable) One partition's contents.\n"
                + "partition-type=mbr|gpt  The table (default: MBR for up to 4 files and 2 TB).\n"
                + "alignment=<N>           Where the following partitions start (default 1M).\n"
                + "mbr-id=0xN|default      MBR type byte of the following files (default 0x83).\n"
                + "type-guid=GUID|default  GPT type of the following files (default Linux filesystem).";
    }

    @Override public String magicConfigKey() { return "file"; }

    @Override
    public boolean debugFlag(String flag, int value) {
        if (!flag.equals("regions")) return false;
        debugRegions = value != 0;
        return true;
    }

    @Override
    public void config(String key, String value) {
        switch (key) {
            case "file" -> addFile(value);
            case "partition-type" -> type = switch (value.toLowerCase(Locale.ROOT)) {
                case "mbr", "dos" -> DiskLayout.Type.MBR;
                case "gpt" -> DiskLayout.Type.GPT;
                default -> throw new PluginException(Errno.EINVAL, "unknown partition-type: " + value);
            };
            case "alignment" -> {
                long a = Sizes.parse(value);
                if (a < DiskLayout.SECTOR || a > DiskLayout.MAX_ALIGNMENT) {
                    throw new PluginException(Errno.EINVAL, "partition alignment " + a + " should be >= sector size "
                            + DiskLayout.SECTOR + " and <= maximum alignment " + DiskLayout.MAX_ALIGNMENT);
                }
                if (a % DiskLayout.SECTOR != 0) {
                    throw new PluginException(Errno.EINVAL, "partition alignment " + a
                            + " should be a multiple of sector size " + DiskLayout.SECTOR);
                }
                // nbdkit assumes this (and aborts on 1536); refuse it instead.
                if (Long.bitCount(a) != 1) {
                    throw new PluginException(Errno.EINVAL, "partition alignment " + a + " should be a power of 2");
                }
                alignment = a;
            }
            case "mbr-id" -> {
                if (value.equalsIgnoreCase("default")) {
                    mbrId = DEFAULT_MBR_ID;
                } else {
                    long id = Numbers.parseUnsigned("mbr-id", value, 8);
                    mbrId = (int) id;
                }
            }
            case "type-guid" -> {
                byte[] g = value.equalsIgnoreCase("default") ? Guid.parse(Guid.DEFAULT_TYPE) : Guid.parse(value);
                if (g == null) throw new PluginException(Errno.EINVAL, "could not validate GUID: " + value);
                typeGuid = g;
            }
            default -> throw new PluginException(Errno.EINVAL, "unknown parameter '" + key + "'");
        }
    }

    private void addFile(String name) {
        // Opened read-write now, as nbdkit does: an unwritable or missing file stops the server.
        int fd = FileCalls.open(name, FileCalls.O_RDWR | FileCalls.O_CLOEXEC);
        if (fd < 0) throw error(name);
        long size = FileCalls.lseek(fd, 0, FileCalls.SEEK_END);
        if (size < 0) {
            PluginException e = error(name + ": stat");
            FileCalls.close(fd);
            throw e;
        }
        if (size == 0) {
            FileCalls.close(fd);
            throw new PluginException(Errno.EINVAL, name + ": zero length partitions are not allowed");
        }
        byte[] unique = new byte[16];
        random.nextBytes(unique);
        files.add(new PartitionFile(name, fd, size, alignment, mbrId, typeGuid.clone(), unique));
    }

    private static PluginException error(String what) {
        int errno = FileCalls.errno();
        return new PluginException(errno == 0 ? Errno.EIO : errno, what + ": " + FileCalls.strerror(errno));
    }

    @Override
    public void configComplete() {
        if (files.isEmpty()) throw new PluginException(Errno.EINVAL, "at least one file= parameter must be supplied");
        long total = 0;
        for (PartitionFile f : files) total += f.size();
        boolean needsGpt = total > MAX_MBR_DISK_SIZE;
        if (type == null) {
            type = needsGpt || files.size() > 4 ? DiskLayout.Type.GPT : DiskLayout.Type.MBR;
            Nbdkit.debug("picking partition type " + type);
        } else if (type == DiskLayout.Type.MBR && needsGpt) {
            throw new PluginException(Errno.EINVAL, "MBR partition table type supports a maximum virtual disk size of "
                    + "about 2 TB, but you requested " + files.size() + " partition(s) and a total size of " + total
                    + " bytes (> " + MAX_MBR_DISK_SIZE + ").  Try using: partition-type=gpt");
        }
    }

    @Override
    public void getReady() {
        layout = DiskLayout.build(type, files);
        if (debugRegions) {
            for (int i = 0; i < layout.regions.size(); i++) {
                Region r = layout.regions.get(i);
                String what = switch (r) {
                    case Region.File f -> files.get(f.index()).name();
                    case Region.Data d -> "data";
                    case Region.Zero z -> "zero";
                };
                Nbdkit.debug(String.format("region[%d]: %x-%x type=%s", i, r.start(), r.end() - 1, what));
            }
        }
    }

    @Override public Class<? extends Handle> handleType() { return PartitioningHandle.class; }

    @Override public Handle open(OpenContext context) { return new PartitioningHandle(layout); }

    @Override
    public void unload() {
        for (PartitionFile f : files) FileCalls.close(f.fd());
    }

    /** Reads and writes through the shared layout; nothing per connection. */
    static final class PartitioningHandle implements Handle {
        private final DiskLayout layout;

        PartitioningHandle(DiskLayout layout) { this.layout = layout; }

        @Override public long getSize() { return layout.size(); }

        @Override public boolean canWrite() { return true; }

        @Override public boolean canFlush() { return true; }

        @Override public boolean canMultiConn() { return true; }

        @Override public CacheMode canCache() { return CacheMode.EMULATE; }

        private interface Piece { void run(Region r, MemorySegment seg, long within); }

        /** Calls {@code piece} for each region the range crosses, with its part of the buffer. */
        private void each(MemorySegment buf, long offset, Piece piece) {
            long pos = 0;
            int i = layout.find(offset);
            while (pos < buf.byteSize()) {
                Region r = layout.region(i++);
                long within = offset + pos - r.start();
                long n = Math.min(r.length() - within, buf.byteSize() - pos);
                piece.run(r, buf.asSlice(pos, n), within);
                pos += n;
            }
        }

        @Override
        public void pread(IoBuffer buf, long offset, int flags) {
            each(buf.segment(), offset, (r, seg, within) -> {
                switch (r) {
                    case Region.File f -> {
                        PartitionFile file = layout.files.get(f.index());
                        for (long done = 0; done < seg.byteSize(); ) {
                            long got = FileCalls.pread(file.fd(), seg.asSlice(done), within + done);
                            if (got < 0) throw error("pread: " + file.name());
                            if (got == 0) throw new PluginException(Errno.EIO, "pread: " + file.name() + ": unexpected end of file");
                            done += got;
                        }
                    }
                    case Region.Data d -> MemorySegment.copy(d.data(), (int) (d.from() + within), seg, ValueLayout.JAVA_BYTE, 0, (int) seg.byteSize());
                    case Region.Zero z -> seg.fill((byte) 0);
                }
            });
        }

        @Override
        public void pwrite(IoBuffer buf, long offset, int flags) {
            each(buf.segment(), offset, (r, seg, within) -> {
                switch (r) {
                    case Region.File f -> {
                        PartitionFile file = layout.files.get(f.index());
                        for (long done = 0; done < seg.byteSize(); ) {
                            long put = FileCalls.pwrite(file.fd(), seg.asSlice(done), within + done);
                            if (put < 0) throw error("pwrite: " + file.name());
                            done += put;
                        }
                    }
                    case Region.Data d -> {
                        MemorySegment table = MemorySegment.ofArray(d.data()).asSlice(d.from() + within, seg.byteSize());
                        if (table.mismatch(seg) >= 0) {
                            throw new PluginException(Errno.EIO, "attempt to change partition table of virtual disk");
                        }
                    }
                    case Region.Zero z -> {
                        for (long k = 0; k < seg.byteSize(); k++) {
                            if (seg.get(ValueLayout.JAVA_BYTE, k) != 0) {
                                throw new PluginException(Errno.EIO, "write non-zeroes to padding region");
                            }
                        }
                    }
                }
            });
        }

        @Override
        public void flush(int flags) {
            for (PartitionFile f : layout.files) {
                if (FileCalls.fdatasync(f.fd()) < 0) throw error("fdatasync");
            }
        }
    }
}
