package flux2.dist.control;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The small TCP star between rank 0 and every other rank that a job keeps beside its collectives library: the
 * rendezvous (rank 0 listens, the others connect and receive what rank 0 hands out, such as NCCL's unique id), then
 * a side channel on which each rank says which collective operation it has reached, an abort carries its message to
 * every rank, and a closed connection tells that a rank's process has ended. With it a collective that times out
 * can name the rank that is missing. It carries no tensor data.
 */
public final class ControlChannel implements AutoCloseable {
    private static final byte HELLO = 1, WELCOME = 2, REFUSE = 3, ARRIVE = 4, ABORT = 5, GONE = 6, BYE = 7;

    private final int rank, world;
    private final byte[] payload;
    private final ServerSocket server;
    /** Rank 0: the connection of each other rank (index = rank). Others: [0] = the connection to rank 0. */
    private final Peer[] peers;
    private final long[] reached;
    private final List<Consumer<String>> failureListeners = new CopyOnWriteArrayList<>();
    private volatile String failure;
    private volatile boolean closing;

    /** One connection and its writer lock. */
    private static final class Peer {
        final int rank;
        final Socket socket;
        final DataInputStream in;
        final DataOutputStream out;
        volatile boolean saidBye;

        Peer(int rank, Socket socket) throws IOException {
            this.rank = rank;
            this.socket = socket;
            socket.setTcpNoDelay(true);
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
            this.out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream()));
        }
    }

    private ControlChannel(int rank, int world, byte[] payload, ServerSocket server, Peer[] peers) {
        this.rank = rank;
        this.world = world;
        this.payload = payload;
        this.server = server;
        this.peers = peers;
        this.reached = new long[world];
    }

    /**
     * Rank 0: listens on {@code bindAddress}:{@code port} (port 0 picks a free one; a null address listens on every
     * interface) and waits until the other {@code world - 1} ranks have connected with {@code token}, handing each
     * {@code payload}. Errors name the address and the ranks that did not come within {@code timeout}.
     */
    public static ControlChannel host(int world, String bindAddress, int port, long token, byte[] payload, Duration timeout) throws IOException {
        return listen(bindAddress, port).await(world, token, payload, timeout);
    }

    /** Rank 0's first half of {@link #host}: the listening socket, whose port can be told to the others before they connect. */
    public static Listener listen(String bindAddress, int port) throws IOException {
        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        String where = (bindAddress == null ? "*" : bindAddress) + ":" + port;
        try {
            InetSocketAddress at = bindAddress == null ? new InetSocketAddress(port) : new InetSocketAddress(InetAddress.getByName(bindAddress), port);
            server.bind(at, 64);
        } catch (UnknownHostException e) {
            server.close();
            throw new IOException("rendezvous: MASTER_ADDR '" + bindAddress + "' is not a known host name or address");
        } catch (IOException e) {
            server.close();
            throw new IOException("rendezvous: rank 0 cannot listen on " + where + " (" + e.getMessage()
                    + "): MASTER_ADDR must be an address of rank 0's host and MASTER_PORT a port no other program uses");
        }
        return new Listener(server);
    }

    /** Rank 0's listening socket until every rank has connected. */
    public static final class Listener implements AutoCloseable {
        private final ServerSocket server;

        private Listener(ServerSocket server) { this.server = server; }

        /** The port it listens on. */
        public int port() { return server.getLocalPort(); }

        /** Waits for the other ranks (see {@link #host}). */
        public ControlChannel await(int world, long token, byte[] payload, Duration timeout) throws IOException {
            Peer[] peers = new Peer[world];
            long deadline = System.nanoTime() + timeout.toNanos();
            try {
                int joined = 1;
                while (joined < world) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) throw new IOException("rendezvous at " + endpoint(server) + ": " + absent(peers) + " did not connect within "
                            + seconds(timeout) + " (are they started, with the same MASTER_ADDR and MASTER_PORT?)");
                    server.setSoTimeout((int) Math.max(1, Math.min(left / 1_000_000, 1000)));
                    Socket s;
                    try {
                        s = server.accept();
                    } catch (SocketTimeoutException e) {
                        continue;
                    }
                    int r = greet(s, world, token, peers, left);
                    if (r < 0) continue;
                    peers[r] = new Peer(r, s);
                    joined++;
                }
                ControlChannel ch = new ControlChannel(0, world, payload, server, peers);
                for (Peer p : peers) {
                    if (p == null) continue;
                    p.socket.setSoTimeout(0);
                    synchronized (p.out) {
                        p.out.writeByte(WELCOME);
                        p.out.writeInt(payload.length);
                        p.out.write(payload);
                        p.out.flush();
                    }
                    ch.listen(p);
                }
                return ch;
            } catch (IOException | RuntimeException e) {
                for (Peer p : peers) if (p != null) p.socket.close();
                server.close();
                throw e;
            }
        }

        /** Reads a connection's greeting: its rank, or -1 when it is refused or not a rank of this job at all. */
        private static int greet(Socket s, int world, long token, Peer[] peers, long leftNanos) throws IOException {
            try {
                s.setSoTimeout((int) Math.max(1000, Math.min(leftNanos / 1_000_000, 30_000)));
                DataInputStream in = new DataInputStream(s.getInputStream()); // unbuffered: nothing after the greeting may be lost
                if (in.readByte() != HELLO) throw new IOException("not a rendezvous greeting");
                int r = in.readInt(), w = in.readInt();
                long t = in.readLong();
                String refuse = t != token ? "it belongs to another job" : w != world ? "it was started for a world of " + w + ", this job has " + world
                        : r <= 0 || r >= world ? "rank " + r + " is outside 1.." + (world - 1) : peers[r] != null ? "rank " + r + " has already joined" : null;
                if (refuse == null) return r;
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeByte(REFUSE);
                out.writeUTF("rank 0 refused a connection from " + s.getRemoteSocketAddress() + ": " + refuse);
                out.flush();
                s.close();
                return -1;
            } catch (IOException e) {
                s.close();
                return -1; // a stray connection (a port scanner, a half-started rank): wait for the real one
            }
        }

        @Override
        public void close() throws IOException { server.close(); }
    }

    /**
     * Rank {@code rank} (1 ..): connects to rank 0 at {@code address}:{@code port}, trying again until {@code timeout}
     * while rank 0 is not listening yet; returns once rank 0 has answered with its payload.
     */
    public static ControlChannel join(int rank, int world, List<String> addresses, int port, long token, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (true) {
            for (String address : addresses) {
                Socket s = new Socket();
                try {
                    long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                    s.connect(new InetSocketAddress(address, port), (int) Math.min(left, 5000));
                    s.setSoTimeout((int) Math.min(Math.max(left, 1000), 60_000));
                    Peer p = new Peer(0, s);
                    p.out.writeByte(HELLO);
                    p.out.writeInt(rank);
                    p.out.writeInt(world);
                    p.out.writeLong(token);
                    p.out.flush();
                    byte kind = p.in.readByte();
                    if (kind == REFUSE) {
                        String why = p.in.readUTF();
                        s.close();
                        throw new IOException("rendezvous at " + address + ":" + port + ": " + why);
                    }
                    if (kind != WELCOME) throw new IOException("rank 0 at " + address + ":" + port + " answered with something other than a rendezvous");
                    byte[] payload = new byte[p.in.readInt()];
                    p.in.readFully(payload);
                    s.setSoTimeout(0);
                    ControlChannel ch = new ControlChannel(rank, world, payload, null, new Peer[] {p});
                    ch.listen(p);
                    return ch;
                } catch (ConnectException | SocketTimeoutException | EOFException | UnknownHostException e) {
                    s.close();
                    last = e.getMessage() == null ? e.toString() : e.getMessage();
                } catch (IOException e) {
                    s.close();
                    if (e.getMessage() != null && e.getMessage().startsWith("rendezvous")) throw e;
                    last = e.getMessage();
                }
            }
            if (System.nanoTime() > deadline)
                throw new IOException("rendezvous: rank " + rank + " cannot reach rank 0 at " + String.join(" or ", addresses) + " port " + port + " within "
                        + seconds(timeout) + " (" + last + "): is rank 0 running, and is MASTER_ADDR an address of its host that this one can reach?");
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("rendezvous interrupted", e);
            }
        }
    }

    /** A channel of a world of one: nothing to connect. */
    public static ControlChannel alone(byte[] payload) {
        return new ControlChannel(0, 1, payload, null, new Peer[1]);
    }

    /** The port rank 0 listens on (for a rendezvous on a free port); -1 on other ranks. */
    public int port() { return server == null ? -1 : server.getLocalPort(); }

    public int rank() { return rank; }

    public int world() { return world; }

    /** What rank 0 handed out at the rendezvous. */
    public byte[] payload() { return payload.clone(); }

    /** Why the job cannot go on (a rank's process ended, or a rank aborted), or null while it can. */
    public String failure() { return failure; }

    /** Called once, from a reader thread, when {@link #failure()} becomes set. */
    public void onFailure(Consumer<String> listener) { failureListeners.add(listener); }

    /** Tells the other ranks that this one has reached collective operation {@code seq}. */
    public void arrive(long seq) {
        reached[rank] = seq;
        if (rank == 0) {
            for (Peer p : peers) if (p != null) send(p, ARRIVE, seq, null);
        } else {
            send(peers[0], ARRIVE, seq, null);
        }
    }

    /** The last operation rank {@code r} is known to have reached: rank 0 knows every rank's, the others rank 0's and their own. */
    public long reached(int r) { return reached[r]; }

    /**
     * The ranks known not to have reached operation {@code seq}, as a phrase ("rank 2 (last at #6)"), or null when this
     * rank knows of none (another rank knows more: rank 0 knows them all).
     */
    public String missing(long seq) {
        StringJoiner j = new StringJoiner(", ");
        for (int r = 0; r < world; r++) {
            if (rank != 0 && r != 0) continue;
            if (reached[r] < seq) j.add("rank " + r + (reached[r] == 0 ? " (no operation yet)" : " (last at #" + reached[r] + ")"));
        }
        return j.length() == 0 ? null : j.toString();
    }

    /** Tells every rank that the job ends, with {@code message}; rank 0 passes it on to the ranks it reaches. */
    public void abort(String message) {
        String m = message.startsWith("rank ") ? message : "rank " + rank + " ended the job: " + message;
        if (failure == null) failure = m;
        for (Peer p : peers) if (p != null) send(p, ABORT, rank, m);
    }

    private void send(Peer p, byte kind, long value, String text) {
        try {
            synchronized (p.out) {
                p.out.writeByte(kind);
                if (kind == ARRIVE) p.out.writeLong(value);
                if (kind == GONE) p.out.writeInt((int) value);
                if (kind == ABORT) {
                    p.out.writeInt((int) value);
                    p.out.writeUTF(text.length() > 8000 ? text.substring(0, 8000) : text);
                }
                p.out.flush();
            }
        } catch (IOException e) {
            // the reader of that connection reports its end
        }
    }

    /** Reads what a peer sends until its connection ends. */
    private void listen(Peer p) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    byte kind = p.in.readByte();
                    switch (kind) {
                        case ARRIVE -> reached[p.rank] = p.in.readLong();
                        case GONE -> {
                            int r = p.in.readInt();
                            fail("rank " + r + "'s process ended (its connection to rank 0 closed)");
                        }
                        case ABORT -> {
                            int from = p.in.readInt();
                            String m = p.in.readUTF();
                            if (rank == 0) for (Peer q : peers) if (q != null && q != p) send(q, ABORT, from, m);
                            fail(m);
                        }
                        case BYE -> {
                            p.saidBye = true;
                            return;
                        }
                        default -> throw new IOException("unexpected message " + kind);
                    }
                }
            } catch (IOException e) {
                if (closing || p.saidBye) return;
                if (rank == 0) {
                    for (Peer q : peers) if (q != null && q != p) send(q, GONE, p.rank, null);
                    fail("rank " + p.rank + "'s process ended (its connection to rank 0 closed)");
                } else {
                    fail("rank 0's process ended (the connection to it closed)");
                }
            }
        }, "flux2-control-" + p.rank);
        t.setDaemon(true);
        t.start();
    }

    private void fail(String why) {
        boolean first;
        synchronized (this) {
            first = failure == null;
            if (first) failure = why;
        }
        if (first) for (Consumer<String> l : failureListeners) l.accept(why);
    }

    /** Closes the connections without a goodbye, as a process that ends does (tests). */
    void crashForTest() {
        closing = true;
        for (Peer p : peers) {
            if (p == null) continue;
            try {
                p.socket.close();
            } catch (IOException e) {
                // closed either way
            }
        }
    }

    /** Says goodbye to the other ranks (their readers stop without a failure) and closes the connections. */
    @Override
    public void close() {
        closing = true;
        for (Peer p : peers) {
            if (p == null) continue;
            try {
                synchronized (p.out) {
                    p.out.writeByte(BYE);
                    p.out.flush();
                }
            } catch (IOException e) {
                // already gone
            }
            try {
                p.socket.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
        if (server != null) {
            try {
                server.close();
            } catch (IOException e) {
                // nothing more to do
            }
        }
    }

    private static String endpoint(ServerSocket s) {
        return s.getInetAddress().getHostAddress() + ":" + s.getLocalPort();
    }

    private static String absent(Peer[] peers) {
        List<Integer> missing = new ArrayList<>();
        for (int r = 1; r < peers.length; r++) if (peers[r] == null) missing.add(r);
        return (missing.size() == 1 ? "rank " : "ranks ") + String.join(", ", missing.stream().map(String::valueOf).toList());
    }

    static String seconds(Duration d) {
        double s = d.toMillis() / 1000.0;
        return (s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s)) + " s";
    }

    @Override
    public String toString() { return "ControlChannel[rank " + rank + " of " + world + ", reached " + Arrays.toString(reached) + "]"; }
}
