package dev.jnbdkit.filters.tar;

import java.util.HashMap;
import java.util.Map;

/**
 * Finds a member of a tar file by reading its headers in place (the data of the members before it
 * is skipped, never read): the offset and size of the member's data, which the tar filter then
 * serves as a range of the file. Knows ustar, GNU (long names {@code 'L'}, old sparse {@code 'S'})
 * and pax ({@code 'x'}, {@code 'g'}: {@code path}, {@code size}, GNU's sparse keys) headers; stops
 * at the end-of-archive block, as {@code tar -t} does.
 */
final class TarScanner {
    /** Reads the tar file. */
    interface Source {
        long size();

        /** Fills {@code dst} from {@code offset} (within {@link #size}). */
        void read(byte[] dst, int length, long offset);
    }

    /** The member is not in the part of the file that was searched. */
    static final class NotFoundException extends Exception {
        NotFoundException(String message) { super(message); }
    }

    /** The file is not a tar file, is cut short, or holds the member in a form that cannot be served. */
    static final class BadArchiveException extends Exception {
        BadArchiveException(String message) { super(message); }
    }

    /** Larger extended headers (long names, pax records) are refused rather than read into memory. */
    static final int MAX_EXTENDED = 1 << 20;

    private TarScanner() {}

    /**
     * The first member named {@code entry} (a trailing '/' aside, as directories are stored),
     * looking only at headers that lie within the first {@code limit} bytes ({@code 0}: the whole file).
     */
    static TarEntry find(Source src, String entry, long limit) throws NotFoundException, BadArchiveException {
        long size = src.size();
        long end = limit > 0 ? Math.min(limit, size) : size;
        byte[] block = new byte[TarHeader.BLOCK];
        Map<String, String> global = new HashMap<>();
        Map<String, String> pax = null;
        String longName = null;
        long pos = 0;
        String want = stripSlash(entry);
        while (true) {
            if (pos + TarHeader.BLOCK > end) {
                if (pos + TarHeader.BLOCK > size && pos != size) {
                    throw new BadArchiveException("unexpected end of the tar file at offset " + size
                            + " (truncated archive?)");
                }
                throw new NotFoundException(limit > 0 && end < size
                        ? "not found in the first " + limit + " bytes of the tar file (tar-limit)"
                        : "not found in the tar file");
            }
            src.read(block, TarHeader.BLOCK, pos);
            if (TarHeader.isZero(block)) throw new NotFoundException("not found in the tar file");
            TarHeader h;
            try {
                h = TarHeader.parse(block);
            } catch (TarHeader.FormatException e) {
                throw new BadArchiveException("offset " + pos + ": not a tar header (" + e.getMessage()
                        + "): this is not a tar file, or it is corrupt");
            }
            long data = pos + TarHeader.BLOCK;
            switch (h.type()) {
                case 'x', 'g' -> {
                    Map<String, String> records;
                    try {
                        byte[] body = extended(src, h, data, size, pos);
                        records = PaxRecords.parse(body, (int) h.size());
                    } catch (TarHeader.FormatException e) {
                        throw new BadArchiveException("offset " + pos + ": bad pax header: " + e.getMessage());
                    }
                    if (h.type() == 'g') global.putAll(records);
                    else pax = records;
                    pos = data + padded(h.size());
                    continue;
                }
                case 'L' -> {
                    byte[] body = extended(src, h, data, size, pos);
                    longName = TarHeader.string(body, 0, (int) h.size());
                    pos = data + padded(h.size());
                    continue;
                }
                case 'K' -> { // GNU long link name: nothing the filter needs
                    pos = data + padded(h.size());
                    continue;
                }
                default -> { }
            }
            Map<String, String> attrs = new HashMap<>(global);
            if (pax != null) attrs.putAll(pax);
            String name = h.name();
            if (longName != null) name = longName;
            if (attrs.containsKey("path")) name = attrs.get("path");
            if (attrs.containsKey("GNU.sparse.name")) name = attrs.get("GNU.sparse.name");
            long stored = h.size();
            if (attrs.containsKey("size")) {
                try {
                    stored = Long.parseLong(attrs.get("size"));
                } catch (NumberFormatException e) {
                    throw new BadArchiveException("offset " + pos + ": bad pax size " + attrs.get("size"));
                }
                if (stored < 0) throw new BadArchiveException("offset " + pos + ": bad pax size " + stored);
            }
            // Old GNU sparse members carry more map blocks between the header and the data.
            if (h.extended()) {
                long at = data;
                byte[] ext = new byte[TarHeader.BLOCK];
                do {
                    if (at + TarHeader.BLOCK > size) throw new BadArchiveException("unexpected end of the tar file at offset " + size);
                    src.read(ext, TarHeader.BLOCK, at);
                    at += TarHeader.BLOCK;
                } while (ext[504] != 0);
                data = at;
            }
            long length = hasData(h.type()) ? stored : 0;
            if (stripSlash(name).equals(want)) {
                boolean sparse = h.type() == 'S' || attrs.keySet().stream().anyMatch(k -> k.startsWith("GNU.sparse."));
                if (sparse) {
                    throw new BadArchiveException("'" + entry + "' is stored as a sparse file, which the tar filter cannot serve in place");
                }
                if (length > size - data) {
                    throw new BadArchiveException("'" + entry + "' has " + length + " bytes from offset " + data
                            + " but the tar file ends at " + size + " (truncated archive?)");
                }
                return new TarEntry(data, length);
            }
            pos = data + padded(length);
            pax = null;
            longName = null;
        }
    }

    /** Hard and symbolic links, devices, directories and FIFOs have no data blocks. */
    private static boolean hasData(char type) {
        return type < '1' || type > '6';
    }

    private static long padded(long n) {
        return (n + TarHeader.BLOCK - 1) / TarHeader.BLOCK * TarHeader.BLOCK;
    }

    private static String stripSlash(String s) {
        int e = s.length();
        while (e > 1 && s.charAt(e - 1) == '/') e--;
        return s.substring(0, e);
    }

    private static byte[] extended(Source src, TarHeader h, long data, long size, long pos) throws BadArchiveException {
        if (h.size() > MAX_EXTENDED) {
            throw new BadArchiveException("offset " + pos + ": extended header of " + h.size() + " bytes (more than "
                    + MAX_EXTENDED + ")");
        }
        if (h.size() > size - data) throw new BadArchiveException("unexpected end of the tar file at offset " + size);
        byte[] body = new byte[(int) h.size()];
        if (body.length > 0) src.read(body, body.length, data);
        return body;
    }
}
