package dev.jnbdkit.plugins.ssh;

import com.jcraft.jsch.AgentIdentityRepository;
import com.jcraft.jsch.AgentProxyException;
import com.jcraft.jsch.Identity;
import com.jcraft.jsch.IdentityRepository;
import com.jcraft.jsch.SSHAgentConnector;
import dev.jnbdkit.spi.Nbdkit;

import java.nio.file.Path;
import java.util.Vector;

/**
 * The keys publickey authentication offers, in libssh's order: the agent's (when
 * {@code SSH_AUTH_SOCK} names a running agent), then the identity files. Read-only: nothing is
 * ever added to the agent (JSch would add decrypted identity files to an agent repository).
 */
final class AgentIdentities implements IdentityRepository {
    private final IdentityRepository agent;
    private final IdentityRepository files;

    private AgentIdentities(IdentityRepository agent, IdentityRepository files) {
        this.agent = agent;
        this.files = files;
    }

    /** The agent in front of {@code files}, or {@code files} alone when there is no agent. */
    static IdentityRepository around(IdentityRepository files) {
        String sock = System.getenv("SSH_AUTH_SOCK");
        if (sock == null || sock.isEmpty()) return files;
        try {
            AgentIdentityRepository agent = new AgentIdentityRepository(new SSHAgentConnector(Path.of(sock)));
            if (agent.getStatus() != RUNNING) {
                Nbdkit.debug("ssh: no agent answers on " + sock);
                return files;
            }
            return new AgentIdentities(agent, files);
        } catch (AgentProxyException | RuntimeException e) {
            Nbdkit.debug("ssh: cannot use the agent on " + sock + ": " + e.getMessage());
            return files;
        }
    }

    @Override public String getName() { return "ssh-agent and identity files"; }

    @Override public int getStatus() { return RUNNING; }

    @Override
    public Vector<Identity> getIdentities() {
        Vector<Identity> all = new Vector<>();
        try {
            all.addAll(agent.getIdentities());
        } catch (RuntimeException e) {
            Nbdkit.debug("ssh: the agent's keys are not available: " + e.getMessage());
        }
        all.addAll(files.getIdentities());
        return all;
    }

    @Override public boolean add(byte[] identity) { return false; }

    @Override public boolean remove(byte[] blob) { return false; }

    @Override public void removeAll() {}
}
