package dev.jnbdkit.filters.ext2;

/**
 * The ext2fs library's error codes this reader can meet, with the library's message texts (what
 * nbdkit's ext2 filter prints after {@code "open: "}, {@code "namei: "} and so on), so that the
 * same broken image gives the same words under jnbdkit as under nbdkit.
 */
enum Ext2Error {
    BAD_MAGIC("Bad magic number in super-block"),
    REV_TOO_HIGH("Filesystem revision too high"),
    UNSUPP_FEATURE("Filesystem has unsupported feature(s)"),
    RO_UNSUPP_FEATURE("Filesystem has unsupported read-only feature(s)"),
    CORRUPT_SUPERBLOCK("The ext2 superblock is corrupt"),
    BAD_DESC_SIZE("Block group descriptor size incorrect"),
    SB_CSUM_INVALID("Superblock checksum does not match superblock"),
    UNKNOWN_CSUM("Unknown checksum algorithm"),
    GDESC_BAD_INODE_TABLE("Corrupt group descriptor: bad block for inode table"),
    SHORT_READ("Attempt to read block from filesystem resulted in short read"),
    BAD_INODE_NUM("Illegal inode number"),
    INODE_CSUM_INVALID("Inode checksum does not match inode"),
    FILE_NOT_FOUND("File not found by ext2_lookup"),
    NO_DIRECTORY("Ext2 inode is not a directory"),
    DIR_CORRUPTED("EXT2 directory corrupted"),
    SYMLINK_LOOP("Too many symbolic links encountered."),
    BAD_BLOCK_NUM("Illegal block number"),
    BAD_IND_BLOCK("Illegal indirect block found"),
    BAD_DIND_BLOCK("Illegal doubly indirect block found"),
    BAD_TIND_BLOCK("Illegal triply indirect block found"),
    EXTENT_HEADER_BAD("Corrupt extent header"),
    EXTENT_INDEX_BAD("Corrupt extent index"),
    EXTENT_BAD("Corrupt extent"),
    NO_INLINE_DATA("Inode doesn't have inline data"),
    FILE_TOO_BIG("Ext2 file too big");

    final String message;

    Ext2Error(String message) { this.message = message; }
}
