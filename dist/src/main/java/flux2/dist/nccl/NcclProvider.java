package flux2.dist.nccl;

import flux2.dist.NativeLibraries;
import flux2.tensor.Backend;
import flux2.tensor.collective.Collectives;
import flux2.tensor.collective.CollectivesProvider;
import flux2.tensor.collective.RankEnv;

/** NCCL collectives for CUDA ranks (cuda:N devices), where libnccl.so.2 is installed. */
public final class NcclProvider implements CollectivesProvider {
    private static volatile Object ncclOrFailure;

    static Nccl nccl() {
        Object n = ncclOrFailure;
        if (n == null) {
            synchronized (NcclProvider.class) {
                n = ncclOrFailure;
                if (n == null) {
                    try {
                        n = Nccl.load(Nccl.defaultLibrary());
                    } catch (NativeLibraries.Unavailable e) {
                        n = e.getMessage();
                    }
                    ncclOrFailure = n;
                }
            }
        }
        if (n instanceof Nccl nccl) return nccl;
        throw new NativeLibraries.Unavailable((String) n + " (install NCCL, e.g. apt-get install libnccl2, or set -Dflux2.nccl.library=PATH)");
    }

    @Override public String name() { return "nccl"; }

    @Override
    public Probe probe() {
        try {
            Nccl n = nccl();
            return new Probe("nccl", true, "NCCL " + Nccl.versionName(n.version()) + " (" + n.library + ")");
        } catch (NativeLibraries.Unavailable e) {
            return new Probe("nccl", false, e.getMessage());
        }
    }

    @Override public boolean serves(Backend device) { return device.name().startsWith("cuda:"); }

    @Override
    public String cannotJoin(RankEnv env) {
        if (!env.distributed() || (env.masterAddr() != null && env.masterPort() > 0)) return null;
        return "NCCL ranks meet at MASTER_ADDR:MASTER_PORT: start them with RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT set "
                + "(torchrun, or train --num_processes N), or under mpirun set MASTER_ADDR and MASTER_PORT too (or FLUX2_COLLECTIVES=mpi)";
    }

    @Override
    public Collectives join(RankEnv env, Backend device) {
        if (!serves(device)) throw new IllegalArgumentException("NCCL collectives work on cuda:N devices, not on " + device.name());
        String why = cannotJoin(env);
        if (why != null) throw new IllegalArgumentException(why);
        return NcclCollectives.join(nccl(), env, device);
    }
}
