package dev.jnbdkit.plugins.ssh;

import com.jcraft.jsch.ChannelSubsystem;
import com.jcraft.jsch.JSch;
import com.jcraft.jsch.JSchException;
import com.jcraft.jsch.Session;
import dev.jnbdkit.spi.Errno;
import dev.jnbdkit.spi.Nbdkit;
import dev.jnbdkit.spi.PluginException;

import java.io.IOException;
import java.io.OutputStream;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opening one connection's remote file, in nbdkit's order: the command line, then the SSH
 * configuration files for what it leaves open; connect; check the host key; authenticate
 * ({@code none}, then {@code publickey} with the agent's keys and the identity files, then
 * {@code password} if one was given — never {@code keyboard-interactive}); start SFTP; create the
 * file if asked; open it and read its size. A failure is nbdkit's message, logged by the server,
 * and the client's connection is refused.
 */
final class SshConnection {
    private SshConnection() {}

    /** libssh's default identity files, after the ones given. */
    private static final List<String> DEFAULT_IDENTITIES = List.of("%d/id_ed25519", "%d/id_ecdsa", "%d/id_rsa");

    static SshHandle open(SshSettings s, boolean readonly, boolean create, int logLevel) {
        String localUser = System.getProperty("user.name");
        String host = s.host();
        String user = s.user();
        int at = host.lastIndexOf('@');
        if (at >= 0) {   // libssh takes user@host in the host option
            if (user == null) user = host.substring(0, at);
            host = host.substring(at + 1);
        }
        Integer port = s.port() == null ? null : Ports.parse(s.port());

        PathExpansion early = new PathExpansion(PathExpansion.home() + "/.ssh", localUser, localHostName(), host,
                user != null ? user : localUser, port != null ? port : 22);
        List<String> configFiles = s.config() == null ? SshConfigFile.defaultFiles()
                : s.config().isEmpty() ? List.of() : List.of(early.expand(s.config()));
        SshConfigFile cfg = SshConfigFile.read(configFiles, host);

        String hostName = cfg.hostName() != null ? cfg.hostName() : host;
        if (user == null) user = cfg.user() != null ? cfg.user() : localUser;
        if (port == null) port = cfg.port() > 0 ? cfg.port() : 22;
        boolean compression = s.compression() || cfg.compression();
        long timeoutSeconds = s.timeoutSeconds() > 0 ? s.timeoutSeconds() : cfg.connectTimeoutSeconds();
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeoutSeconds * 1000);
        PathExpansion expand = new PathExpansion(early.sshDir(), localUser, early.localHost(), host, user, port);

        List<String> knownHosts = new ArrayList<>();
        knownHosts.add(expand.expand(s.knownHosts() != null ? s.knownHosts()
                : cfg.userKnownHosts() != null ? cfg.userKnownHosts() : "%d/known_hosts"));
        knownHosts.add(expand.expand(cfg.globalKnownHosts() != null ? cfg.globalKnownHosts() : "/etc/ssh/ssh_known_hosts"));
        KnownHostsCheck hostKeys = new KnownHostsCheck(knownHosts);

        JSch jsch = new JSch();
        if (logLevel > 0) jsch.setInstanceLogger(new JschDebugLog(logLevel));
        for (String identity : identityFiles(s, cfg, expand)) {
            try {
                jsch.addIdentity(identity);
            } catch (JSchException e) {
                Nbdkit.debug("ssh: identity " + identity + " not used: " + e.getMessage());
            }
        }

        Session session;
        try {
            session = jsch.getSession(user, hostName, port);
        } catch (JSchException e) {
            throw new PluginException(Errno.EINVAL, "failed to connect to remote host (" + hostName + "): " + e.getMessage());
        }
        session.setDaemonThread(true);
        session.setIdentityRepository(AgentIdentities.around(jsch.getIdentityRepository()));
        session.setHostKeyRepository(hostKeys);
        // The check itself is KnownHostsCheck's; "no" makes JSch accept any key (and learn none).
        session.setConfig("StrictHostKeyChecking", s.verifyRemoteHost() ? "yes" : "no");
        session.setConfig("PreferredAuthentications", s.password() != null ? "publickey,password" : "publickey");
        if (compression) {
            session.setConfig("compression.s2c", "zlib@openssh.com,zlib,none");
            session.setConfig("compression.c2s", "zlib@openssh.com,zlib,none");
        }
        if (s.password() != null) session.setPassword(s.password().clone());

        try {
            session.connect(timeoutMs);
        } catch (JSchException e) {
            session.disconnect();
            throw connectFailure(e, hostKeys, s.verifyRemoteHost(), hostName);
        }
        try {
            return openFile(session, s, readonly, create, timeoutMs);
        } catch (RuntimeException e) {
            session.disconnect();
            throw e;
        }
    }

    private static SshHandle openFile(Session session, SshSettings s, boolean readonly, boolean create, int timeoutMs) {
        ChannelSubsystem channel;
        Sftp sftp;
        try {
            channel = (ChannelSubsystem) session.openChannel("subsystem");
            channel.setSubsystem("sftp");
            channel.setWantReply(true);
            ChannelInput in = new ChannelInput();
            channel.setOutputStream(in.sink);
            OutputStream out = channel.getOutputStream();
            channel.connect(timeoutMs);
            sftp = Sftp.start(in.source, out);
        } catch (JSchException | IOException e) {
            throw new PluginException(Errno.EIO, "failed to initialize sftp session: " + e.getMessage(), e);
        }
        try {
            if (create) {
                byte[] fresh = sftp.open(s.path(), Sftp.FXF_WRITE | Sftp.FXF_CREAT | Sftp.FXF_TRUNC, s.createMode());
                try {
                    sftp.truncate(fresh, s.createSize());
                } finally {
                    sftp.close(fresh);
                }
            }
        } catch (IOException e) {
            channel.disconnect();
            throw new PluginException(errno(e), "cannot create file: " + describe(e), e);
        }
        byte[] file;
        try {
            file = sftp.open(s.path(), readonly ? Sftp.FXF_READ : Sftp.FXF_READ | Sftp.FXF_WRITE, -1);
        } catch (IOException e) {
            channel.disconnect();
            throw new PluginException(errno(e), "cannot open file for " + (readonly ? "reading" : "writing") + ": " + describe(e), e);
        }
        long size;
        try {
            size = sftp.size(file);
        } catch (IOException e) {
            channel.disconnect();
            throw new PluginException(errno(e), "fstat failed: " + describe(e), e);
        }
        return new SshHandle(session, channel, sftp, file, size, sftp.hasExtension("fsync@openssh.com", "1"));
    }

    /**
     * The identity files to offer, libssh's order: each {@code identity=} is put in front of the
     * list (so the last one given comes first), then the configuration's, then the defaults.
     * Files that do not exist are left out, as libssh does.
     */
    private static List<String> identityFiles(SshSettings s, SshConfigFile cfg, PathExpansion expand) {
        List<String> names = new ArrayList<>();
        for (int i = s.identities().size() - 1; i >= 0; i--) names.add(s.identities().get(i));
        for (int i = cfg.identityFiles().size() - 1; i >= 0; i--) names.add(cfg.identityFiles().get(i));
        names.addAll(DEFAULT_IDENTITIES);
        List<String> files = new ArrayList<>();
        for (String n : names) {
            String f = expand.expand(n);
            if (Files.isReadable(Path.of(f)) && !files.contains(f)) files.add(f);
        }
        return files;
    }

    private static PluginException connectFailure(JSchException e, KnownHostsCheck hostKeys, boolean verify, String host) {
        String refusal = hostKeys.refusal();
        if (verify && refusal != null) return new PluginException(Errno.EIO, refusal, e);
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.startsWith("Auth fail") || m.startsWith("Auth cancel")) {
            return new PluginException(Errno.EPERM, "all possible authentication methods failed", e);
        }
        Throwable cause = e.getCause();
        if (cause instanceof UnknownHostException) {
            return new PluginException(Errno.EIO, "failed to connect to remote host (" + host
                    + "): Failed to resolve hostname " + host + " (Name or service not known)", e);
        }
        String why = cause != null && cause.getMessage() != null ? cause.getMessage() : m;
        return new PluginException(Errno.EIO, "failed to connect to remote host (" + host + "): " + why, e);
    }

    private static int errno(IOException e) {
        return e instanceof SftpStatusException s ? s.errno() : Errno.EIO;
    }

    private static String describe(IOException e) {
        return e instanceof SftpStatusException s ? s.describe() : e.getMessage();
    }

    /** gethostname(2), as %l expands; read from the kernel, no name lookup. */
    private static String localHostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
