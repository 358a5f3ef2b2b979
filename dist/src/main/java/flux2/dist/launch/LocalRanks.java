package flux2.dist.launch;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the N ranks of a job on this machine and waits for them: CUDA ranks as N child processes with torchrun's
 * variables (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR 127.0.0.1 and a free MASTER_PORT), one GPU
 * each; CPU and OpenCL ranks through Open MPI's mpirun. When a rank ends with an error the others are stopped, and the
 * message names the rank; a signal to this process stops every rank.
 */
public final class LocalRanks {
    /** How long the other ranks get to end after a rank failed, before they are killed. */
    private static final long GRACE_SECONDS = 10;

    private LocalRanks() {}

    /** Starts {@code ranks} ranks running {@code rankCommand}; returns the job's exit code (0 when every rank succeeded). */
    public static int run(int ranks, boolean cuda, List<String> rankCommand, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        return cuda ? children(ranks, rankCommand, out, err) : mpirun(ranks, rankCommand, out, err);
    }

    private static int mpirun(int ranks, List<String> rankCommand, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        Path mpirun = MpiRun.find();
        if (mpirun == null)
            throw new IllegalArgumentException("num_processes " + ranks + ": CPU and OpenCL ranks are started by Open MPI's mpirun, which is not on PATH "
                    + "(install it: apt-get install openmpi-bin, or set FLUX2_MPIRUN to its path)");
        List<String> cmd = MpiRun.command(mpirun, ranks, rankCommand);
        out.println("starting " + ranks + " ranks with " + mpirun + " -np " + ranks + (cmd.contains("--oversubscribe") ? " --oversubscribe" : ""));
        out.flush();
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        Thread stop = new Thread(() -> stop(List.of(p)), "flux2-stop-ranks");
        Runtime.getRuntime().addShutdownHook(stop);
        int code = p.waitFor();
        removeHook(stop);
        if (code != 0) err.println("error: the job ended with exit code " + code + " (mpirun's message above names the rank that ended it)");
        return code;
    }

    private static int children(int ranks, List<String> rankCommand, PrintStream out, PrintStream err) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        out.println("starting " + ranks + " ranks (cuda:0 .. cuda:" + (ranks - 1) + "), rendezvous at 127.0.0.1:" + port);
        out.flush();
        List<Process> procs = new ArrayList<>();
        Thread stop = new Thread(() -> stop(procs), "flux2-stop-ranks");
        Runtime.getRuntime().addShutdownHook(stop);
        try {
            for (int r = 0; r < ranks; r++) {
                ProcessBuilder pb = new ProcessBuilder(rankCommand).inheritIO();
                var env = pb.environment();
                env.put("RANK", Integer.toString(r));
                env.put("WORLD_SIZE", Integer.toString(ranks));
                env.put("LOCAL_RANK", Integer.toString(r));
                env.put("LOCAL_WORLD_SIZE", Integer.toString(ranks));
                env.put("MASTER_ADDR", "127.0.0.1");
                env.put("MASTER_PORT", Integer.toString(port));
                synchronized (procs) {
                    procs.add(pb.start());
                }
            }
            return supervise(procs, err);
        } finally {
            stop(procs);
            removeHook(stop);
        }
    }

    /** Waits for every rank; the first that fails names itself and stops the others. */
    static int supervise(List<Process> procs, PrintStream err) throws InterruptedException {
        boolean[] done = new boolean[procs.size()];
        int left = procs.size();
        while (left > 0) {
            for (int r = 0; r < procs.size(); r++) {
                if (done[r] || procs.get(r).isAlive()) continue;
                done[r] = true;
                left--;
                int code = procs.get(r).exitValue();
                if (code != 0) {
                    err.println("error: rank " + r + " (pid " + procs.get(r).pid() + ") ended with exit code " + code + describeSignal(code)
                            + "; stopping the other ranks");
                    stop(procs);
                    return code;
                }
            }
            if (left > 0) Thread.sleep(100);
        }
        return 0;
    }

    private static String describeSignal(int code) {
        return code > 128 && code < 160 ? " (killed by signal " + (code - 128) + ")" : "";
    }

    /** Asks every live rank to end, and kills those still running after the grace period. */
    static void stop(List<Process> procs) {
        List<Process> live;
        synchronized (procs) {
            live = procs.stream().filter(Process::isAlive).toList();
        }
        for (Process p : live) p.destroy();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(GRACE_SECONDS);
        for (Process p : live) {
            try {
                if (!p.waitFor(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS)) p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void removeHook(Thread hook) {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs
        }
    }
}
