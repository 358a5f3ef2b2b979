package flux2.dist.control;

import flux2.tensor.collective.RankEnv;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * How the ranks find rank 0's control channel. Ranks started with torchrun's variables meet at MASTER_ADDR:MASTER_PORT,
 * where rank 0 listens; ranks started by mpirun learn rank 0's address and a free port from an MPI broadcast (rank 0
 * listens on MASTER_ADDR when it is set, else on every interface, and names its addresses, loopback first for ranks on
 * its own host).
 */
public final class Bootstrap {
    /** The size of the broadcast message that carries rank 0's address. */
    public static final int MESSAGE_BYTES = 1024;
    private static final String TAG = "flux2-rendezvous";

    private Bootstrap() {}

    /** The control channel of a torchrun-style job; rank 0 hands {@code payload} to every rank (the others pass null). */
    public static ControlChannel overTcp(RankEnv env, byte[] payload) throws IOException {
        if (!env.distributed()) return ControlChannel.alone(payload == null ? new byte[0] : payload);
        long token = tokenOf(env);
        if (env.rank() == 0) return ControlChannel.host(env.worldSize(), env.masterAddr(), env.masterPort(), token, payload, env.timeout());
        return ControlChannel.join(env.rank(), env.worldSize(), List.of(env.masterAddr()), env.masterPort(), token, env.timeout());
    }

    /**
     * The control channel of an mpirun job: {@code broadcast} sends rank 0's {@link #MESSAGE_BYTES}-byte message to every
     * rank (rank 0 gives it, the others give null and get it back).
     */
    public static ControlChannel overMpi(RankEnv env, UnaryOperator<byte[]> broadcast) throws IOException {
        if (!env.distributed()) return ControlChannel.alone(new byte[0]);
        if (env.rank() == 0) {
            ControlChannel.Listener listener = ControlChannel.listen(env.masterAddr(), env.masterAddr() != null ? env.masterPort() : 0);
            long token = new SecureRandom().nextLong();
            List<String> addresses = env.masterAddr() != null ? List.of(env.masterAddr()) : interfaceAddresses();
            String msg = String.join("|", TAG, Integer.toString(listener.port()), hostName(), Long.toString(token), String.join(",", addresses));
            byte[] bytes = msg.getBytes(StandardCharsets.UTF_8);
            if (bytes.length >= MESSAGE_BYTES) throw new IOException("rendezvous: rank 0's address list is too long: " + msg);
            broadcast.apply(Arrays.copyOf(bytes, MESSAGE_BYTES));
            return listener.await(env.worldSize(), token, new byte[0], env.timeout());
        }
        byte[] got = broadcast.apply(null);
        int end = 0;
        while (end < got.length && got[end] != 0) end++;
        String[] f = new String(got, 0, end, StandardCharsets.UTF_8).split("\\|", -1);
        if (f.length != 5 || !f[0].equals(TAG)) throw new IOException("rendezvous: rank 0's broadcast is not an address message");
        List<String> addresses = new ArrayList<>();
        if (env.masterAddr() == null && f[2].equals(hostName())) addresses.add("127.0.0.1");
        for (String a : f[4].split(",")) if (!a.isBlank() && !addresses.contains(a)) addresses.add(a);
        return ControlChannel.join(env.rank(), env.worldSize(), addresses, Integer.parseInt(f[1]), Long.parseLong(f[3]), env.timeout());
    }

    /** A job's token for torchrun-style ranks: what every rank knows alike (it keeps ranks of another job out). */
    static long tokenOf(RankEnv env) {
        long h = 0xCBF29CE484222325L;
        for (char c : (TAG + "/" + env.worldSize() + "/" + env.masterAddr() + ":" + env.masterPort()).toCharArray()) h = (h ^ c) * 0x100000001B3L;
        return h;
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** This host's addresses that other hosts may reach: up, not loopback, IPv4 first. */
    private static List<String> interfaceAddresses() {
        List<String> v4 = new ArrayList<>(), v6 = new ArrayList<>();
        try {
            for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!n.isUp() || n.isLoopback()) continue;
                for (InetAddress a : Collections.list(n.getInetAddresses())) {
                    if (a.isLinkLocalAddress()) continue;
                    (a instanceof Inet4Address ? v4 : v6).add(a.getHostAddress());
                }
            }
        } catch (SocketException e) {
            // no interface list: ranks on this host still reach 127.0.0.1
        }
        v4.addAll(v6.size() > 4 ? v6.subList(0, 4) : v6);
        return v4.size() > 12 ? v4.subList(0, 12) : v4;
    }
}
