package flux2.app;

import flux2.tensor.BackendProvider;
import flux2.tensor.Backends;
import flux2.tensor.Parallel;
import flux2.tensor.collective.CollectiveLibraries;
import flux2.tensor.collective.CollectivesProvider;
import java.util.concurrent.Callable;
import jdk.incubator.vector.FloatVector;
import picocli.CommandLine.Command;

/** Prints what this machine offers the engine: JDK, SIMD width, threads, memory, backends and collectives libraries. */
@Command(name = "doctor", mixinStandardHelpOptions = true, description = "Show the JDK, SIMD width, threads, memory, usable backends and collectives.")
public final class DoctorCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        Runtime rt = Runtime.getRuntime();
        System.out.println("flux2-trainer " + flux2.trainer.Version.get());
        System.out.println("JDK:       " + System.getProperty("java.vm.vendor") + " " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
        System.out.println("OS/CPU:    " + System.getProperty("os.name") + " " + System.getProperty("os.arch") + ", " + rt.availableProcessors() + " processors");
        System.out.println("SIMD:      " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit vectors, "
                + FloatVector.SPECIES_PREFERRED.length() + " floats per vector (Vector API)");
        System.out.println("Threads:   " + Parallel.threads() + " (set with -Dflux2.threads or FLUX2_THREADS)");
        System.out.printf("Memory:    heap max %.1f GiB, free physical %s%n", rt.maxMemory() / (double) (1L << 30), physicalFree());
        System.out.println("Backends (--device cpu, opencl:N or cuda:N):");
        for (BackendProvider.Probe p : Backends.probeAll()) {
            if (!p.usable() || p.name().equals("cpu")) {
                System.out.printf("  %-10s %-8s %s%n", p.name(), p.usable() ? "usable" : "unusable", p.detail());
                continue;
            }
            // device backends list their devices (name, model, memory) separated by "; ": one line each
            System.out.printf("  %-10s %-8s%n", p.name(), "usable");
            for (String device : p.detail().split("; ")) System.out.println("    " + device);
        }
        System.out.println("Collectives (train --num_processes N, mpirun, torchrun-style RANK/WORLD_SIZE):");
        for (CollectivesProvider.Probe p : CollectiveLibraries.probeAll())
            System.out.printf("  %-10s %-8s %s%n", p.name(), p.usable() ? "usable" : "unusable", p.detail());
        return 0;
    }

    private static String physicalFree() {
        try {
            var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            if (os instanceof com.sun.management.OperatingSystemMXBean s)
                return String.format("%.1f GiB of %.1f GiB", s.getFreeMemorySize() / (double) (1L << 30), s.getTotalMemorySize() / (double) (1L << 30));
        } catch (RuntimeException ignored) {
            // not every JVM exposes physical memory
        }
        return "unknown";
    }
}
