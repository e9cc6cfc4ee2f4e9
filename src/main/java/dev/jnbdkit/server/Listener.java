package dev.jnbdkit.server;

import dev.jnbdkit.log.Log;
import dev.jnbdkit.posix.ProcessCalls;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Listening sockets: TCP, a Unix socket, or one inherited through socket activation. */
public final class Listener implements AutoCloseable {
    private final List<ServerSocketChannel> channels;
    private final String description;
    /** -6 on a dual-stack socket: Java cannot set IPV6_V6ONLY, so IPv4 clients are turned away. */
    private boolean refuseIpv4;

    private Listener(List<ServerSocketChannel> channels, String description) {
        this.channels = channels;
        this.description = description;
    }

    public String description() { return description; }

    /** True when clients come over a Unix socket (no TCP options apply). */
    boolean isUnix() {
        try {
            return channels.getFirst().getLocalAddress() instanceof java.net.UnixDomainSocketAddress;
        } catch (IOException e) {
            return false;
        }
    }

    List<ServerSocketChannel> channels() { return channels; }

    /** TCP on {@code port} (0 = any free port) at {@code address} (null = every address). */
    public static Listener tcp(String address, int port, boolean ipv4Only, boolean ipv6Only) throws IOException {
        List<ServerSocketChannel> list = new ArrayList<>();
        try {
            if (address != null) {
                for (InetAddress a : InetAddress.getAllByName(address)) {
                    if (ipv4Only && a instanceof java.net.Inet6Address) continue;
                    if (ipv6Only && a instanceof java.net.Inet4Address) continue;
                    list.add(bindTcp(new InetSocketAddress(a, port), a instanceof java.net.Inet6Address));
                    break;
                }
                if (list.isEmpty()) throw new IOException("no address of the requested family for " + address);
            } else if (ipv4Only) {
                list.add(bindTcp(new InetSocketAddress("0.0.0.0", port), false));
            } else {
                // A dual-stack socket on :: accepts IPv4 clients too, as nbdkit's two sockets do.
                list.add(bindTcp(new InetSocketAddress("::", port), true));
            }
        } catch (IOException e) {
            for (ServerSocketChannel c : list) c.close();
            throw e;
        }
        int actual = ((InetSocketAddress) list.getFirst().getLocalAddress()).getPort();
        Listener l = new Listener(list, "port " + actual);
        l.refuseIpv4 = ipv6Only;
        return l;
    }

    private static ServerSocketChannel bindTcp(InetSocketAddress addr, boolean v6) throws IOException {
        ServerSocketChannel c = ServerSocketChannel.open(v6 ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET);
        try {
            c.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            c.bind(addr, 1024);
            return c;
        } catch (IOException e) {
            c.close();
            throw new IOException("bind: " + addr + ": " + e.getMessage(), e);
        }
    }

    /** The TCP port actually bound (useful with port 0). */
    public int port() throws IOException {
        return ((InetSocketAddress) channels.getFirst().getLocalAddress()).getPort();
    }

    /** A Unix socket at {@code path}; an existing socket file there is replaced, as nbdkit does. */
    public static Listener unix(Path path) throws IOException {
        Files.deleteIfExists(path);
        ServerSocketChannel c = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            c.bind(UnixDomainSocketAddress.of(path), 1024);
        } catch (IOException e) {
            c.close();
            throw new IOException("bind: " + path + ": " + e.getMessage(), e);
        }
        return new Listener(List.of(c), "unix socket " + path);
    }

    /**
     * A listening channel the caller already has (bound by itself, or {@code System.inheritedChannel()}
     * under a service manager); the listener owns it from now on and closes it.
     */
    public static Listener adopt(ServerSocketChannel channel) throws IOException {
        if (!channel.isOpen()) throw new IOException("the listening channel is closed");
        java.net.SocketAddress local = channel.getLocalAddress();
        if (local == null) throw new IOException("the listening channel is not bound");
        return new Listener(List.of(channel), local instanceof UnixDomainSocketAddress u
                ? "unix socket " + u.getPath() : "port " + ((InetSocketAddress) local).getPort());
    }

    /**
     * The socket passed by a service manager (LISTEN_PID/LISTEN_FDS, first descriptor 3). Java
     * can only adopt a listening socket on descriptor 0, so descriptor 3 is moved there.
     */
    public static Listener socketActivated() throws IOException {
        if (!"0".equals(System.getenv("JNBDKIT_LISTEN_FD"))) { // bin/jnbdkit has not moved it already
            ProcessCalls.dup2(3, 0);
            ProcessCalls.close(3);
        }
        Channel ch = System.inheritedChannel();
        if (!(ch instanceof ServerSocketChannel ssc)) {
            throw new IOException("socket activation: descriptor 3 is not a listening socket");
        }
        Log.debug("socket activation: using the inherited listening socket");
        return new Listener(List.of(ssc), "socket activation");
    }

    /** Blocks for the next client; null once the listener is closed. */
    SocketChannel accept(ServerSocketChannel c) {
        try {
            SocketChannel s = c.accept();
            if (s.getRemoteAddress() instanceof InetSocketAddress peer) {
                if (refuseIpv4 && isIpv4(peer.getAddress())) {
                    Log.debug("-6: refusing IPv4 client " + peer);
                    s.close();
                    return null;
                }
                s.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            return s;
        } catch (IOException e) {
            if (c.isOpen()) Log.debug("accept: " + e.getMessage());
            return null;
        }
    }

    private static boolean isIpv4(InetAddress a) {
        if (a instanceof java.net.Inet4Address) return true;
        byte[] b = a.getAddress(); // ::ffff:a.b.c.d, an IPv4 client on a dual-stack socket
        for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
        return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    }

    @Override
    public void close() {
        for (ServerSocketChannel c : channels) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
