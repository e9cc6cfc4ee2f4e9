package dev.jnbdkit.plugins.ssh;

import com.jcraft.jsch.HostKey;
import com.jcraft.jsch.HostKeyRepository;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.UserInfo;
import dev.jnbdkit.spi.Nbdkit;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The remote host's key against the known-hosts files (the user's, then the global one), read
 * through JSch's known_hosts parser (hashed names, {@code [host]:port}, markers) and never
 * written to. JSch asks {@link #check} during the key exchange; the outcome is kept so that a
 * refusal can be reported with libssh's states, which are what nbdkit's messages name: the key
 * matches, differs from the recorded one ({@link Outcome#CHANGED}), only a key of another type is
 * recorded ({@link Outcome#OTHER}), or the host is not in them or no file can be read
 * ({@link Outcome#UNKNOWN}: nbdkit's message names both).
 */
final class KnownHostsCheck implements HostKeyRepository {
    enum Outcome { NOT_ASKED, OK, CHANGED, OTHER, UNKNOWN }

    private final List<HostKeyRepository> files = new ArrayList<>();
    private final boolean anyFile;
    private volatile Outcome outcome = Outcome.NOT_ASKED;

    KnownHostsCheck(List<String> paths) {
        boolean any = false;
        for (String p : paths) {
            if (!Files.isReadable(Path.of(p))) continue;
            any = true;
            try {
                JSch reader = new JSch();
                reader.setKnownHosts(p);
                files.add(reader.getHostKeyRepository());
            } catch (JSchException e) {
                Nbdkit.debug("ssh: cannot read known hosts file " + p + ": " + e.getMessage());
            }
        }
        anyFile = any;
    }

    Outcome outcome() { return outcome; }

    /** nbdkit's message for a refused host key. */
    String refusal() {
        return switch (outcome) {
            case CHANGED -> "host key for server changed";
            case OTHER -> "host key for server was not found but another type of key exists";
            case UNKNOWN -> "either the host key is unknown, you must use ssh first and accept the host key; "
                    + "or the known_hosts file (usually ~/.ssh/known_hosts) could not be opened, check that the file "
                    + "exists and file permissions";
            case OK, NOT_ASKED -> null;
        };
    }

    @Override
    public int check(String host, byte[] key) {
        if (!anyFile) {
            outcome = Outcome.UNKNOWN;
            return NOT_INCLUDED;
        }
        boolean changed = false;
        for (HostKeyRepository r : files) {
            int c = r.check(host, key);
            if (c == OK) {
                outcome = Outcome.OK;
                return OK;
            }
            if (c == CHANGED) changed = true;
        }
        if (changed) {
            outcome = Outcome.CHANGED;
            return CHANGED;
        }
        outcome = getHostKey(host, null).length > 0 ? Outcome.OTHER : Outcome.UNKNOWN;
        return NOT_INCLUDED;
    }

    /** Never learns a key: accepting one is the user's decision, made with ssh(1). */
    @Override public void add(HostKey hostkey, UserInfo ui) {}

    @Override public void remove(String host, String type) {}

    @Override public void remove(String host, String type, byte[] key) {}

    @Override public String getKnownHostsRepositoryID() { return "jnbdkit ssh known hosts"; }

    @Override public HostKey[] getHostKey() { return getHostKey(null, null); }

    @Override
    public HostKey[] getHostKey(String host, String type) {
        List<HostKey> all = new ArrayList<>();
        for (HostKeyRepository r : files) {
            HostKey[] k = host == null ? r.getHostKey() : r.getHostKey(host, type);
            if (k != null) all.addAll(List.of(k));
        }
        return all.toArray(new HostKey[0]);
    }
}
